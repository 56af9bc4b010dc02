/**
 * Jest setup (setupFilesAfterEnv) of the suites that talk to the API over HTTP: every answer a test gets from an
 * API on this machine is recorded, and when the file's tests are done each is checked against the OpenAPI
 * document that API serves (/docs-json): the operation, the status, the media type and the body's schema. An
 * answer the document does not describe fails the file.
 */
import { afterAll, expect } from '@jest/globals';
import { OpenApiConformance, type RecordedAnswer } from './openapi-conformance.js';

const LOCAL = new Set(['127.0.0.1', 'localhost', '[::1]']);
const originalFetch = globalThis.fetch;
const documents = new Map<string, Promise<OpenApiConformance | undefined>>();
const recorded: Promise<{ origin: string; answer: RecordedAnswer } | undefined>[] = [];

function requestOf(input: Parameters<typeof fetch>[0], init: Parameters<typeof fetch>[1]): { url: URL; method: string } {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  return { url, method: method.toUpperCase() };
}

/** The document of the API at `origin`, read once, while it runs (the first answer from it is being recorded). */
function documentOf(origin: string): Promise<OpenApiConformance | undefined> {
  let document = documents.get(origin);
  if (!document) {
    document = originalFetch(`${origin}/docs-json`, { signal: AbortSignal.timeout(10_000) })
      .then(async (response) => (response.ok ? new OpenApiConformance((await response.json()) as ConstructorParameters<typeof OpenApiConformance>[0]) : undefined))
      .catch(() => undefined);
    documents.set(origin, document);
  }
  return document;
}

async function record(url: URL, method: string, response: Response): Promise<{ origin: string; answer: RecordedAnswer } | undefined> {
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  // A stream is never read here (it may not end); its status and media type are still checked.
  const body = mediaType === 'text/event-stream' || response.body === null ? undefined : await response.clone().text();
  return { origin: url.origin, answer: { method, url: url.pathname + url.search, status: response.status, mediaType, body } };
}

globalThis.fetch = async (input, init) => {
  const response = await originalFetch(input, init);
  const { url, method } = requestOf(input, init);
  if (LOCAL.has(url.hostname) && !url.pathname.startsWith('/docs')) {
    void documentOf(url.origin);
    recorded.push(record(url, method, response).catch(() => undefined));
  }
  return response;
};

afterAll(async () => {
  globalThis.fetch = originalFetch;
  const answers = (await Promise.all(recorded)).filter((entry) => entry !== undefined);
  const violations: string[] = [];
  for (const { origin, answer } of answers) {
    const conformance = (await documentOf(origin)) ?? (await firstDocument());
    if (!conformance) violations.push(`${answer.method} ${answer.url}: no OpenAPI document could be read from ${origin}`);
    else violations.push(...conformance.check(answer));
  }
  expect([...new Set(violations)]).toEqual([]);
}, 60_000);

/** An API stopped before its document was read: any other API's document of this file (they differ only in bounds). */
async function firstDocument(): Promise<OpenApiConformance | undefined> {
  for (const document of documents.values()) {
    const found = await document;
    if (found) return found;
  }
  return undefined;
}
