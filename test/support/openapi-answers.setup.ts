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
/** Per origin: its document; 'not-the-api' when it answered without one (a test's stand-in server); undefined when gone. */
type Served = OpenApiConformance | 'not-the-api' | undefined;
const documents = new Map<string, Promise<Served>>();
const recorded: Promise<{ origin: string; answer: RecordedAnswer } | undefined>[] = [];

function requestOf(input: Parameters<typeof fetch>[0], init: Parameters<typeof fetch>[1]): { url: URL; method: string } {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  return { url, method: method.toUpperCase() };
}

/** The document of the API at `origin`, read once, while it runs (the first answer from it is being recorded). */
function documentOf(origin: string): Promise<Served> {
  let document = documents.get(origin);
  if (!document) {
    document = originalFetch(`${origin}/docs-json`, { signal: AbortSignal.timeout(10_000) })
      .then(async (response): Promise<Served> => {
        const body = response.ok ? ((await response.json().catch(() => undefined)) as { openapi?: unknown } | undefined) : undefined;
        if (typeof body?.openapi !== 'string') return 'not-the-api';
        return new OpenApiConformance(body as ConstructorParameters<typeof OpenApiConformance>[0]);
      })
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
  // /docs and the web board (/board) are pages for people, not API operations: the document does not describe them.
  if (LOCAL.has(url.hostname) && !url.pathname.startsWith('/docs') && !/^\/board(?:[/?]|$)/.test(url.pathname)) {
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
    const served = await documentOf(origin);
    if (served === 'not-the-api') continue;
    // Gone before its document was read: checked against another API's of this file. A file that reached no API
    // at all (only stand-in servers that never answer) has nothing to check.
    const conformance = served ?? (await firstDocument());
    if (conformance) violations.push(...conformance.check(answer));
  }
  expect([...new Set(violations)]).toEqual([]);
}, 60_000);

/** An API stopped before its document was read: any other API's document of this file (they differ only in bounds). */
async function firstDocument(): Promise<OpenApiConformance | undefined> {
  for (const document of documents.values()) {
    const found = await document;
    if (found instanceof OpenApiConformance) return found;
  }
  return undefined;
}
