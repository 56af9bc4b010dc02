/**
 * The OpenAPI document against the service that serves it. Every answer any test of this project sees is checked
 * against the document too (test/support/openapi-answers.setup.ts); this file adds what that cannot see: the
 * document's own shape, the operations' problem table, bounds from the configuration, examples that work, and the
 * answers a new user met undocumented (each produced here and checked).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { OpenAPIObject } from '@nestjs/swagger';
import { OPERATION_PROBLEMS, PUBLIC_OPERATIONS } from '../../apps/api/src/openapi/operation-problems.js';
import { operationsOf } from '../../apps/api/src/openapi/complete-document.js';
import { REQUEST_EXAMPLES } from '../../apps/api/src/openapi/request-examples.js';
import { ApiProcess } from '../support/api-process.js';
import { OpenApiConformance } from '../support/openapi-conformance.js';
import { randomId } from '../support/random-ids.js';

type Json = Record<string, unknown>;
const json = { 'content-type': 'application/json' };

let api: ApiProcess;
let document: OpenAPIObject;
let conformance: OpenApiConformance;
const call = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`${api.url}${path}`, init);
const operation = (method: string, path: string): Json => (document.paths[path] as Record<string, Json>)[method] as Json;
const requestSchema = (method: string, path: string): Json => {
  const content = (operation(method, path).requestBody as { content: Record<string, { schema: Json }> }).content;
  return Object.values(content)[0]?.schema as Json;
};

/** Checks one answer against the document now (the setup file checks it again when the file ends). */
async function documented(response: Response, method: string): Promise<string[]> {
  const url = new URL(response.url);
  const body = response.status === 204 || response.status === 304 ? undefined : await response.clone().text();
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0] ?? '';
  return conformance.check({ method, url: url.pathname + url.search, status: response.status, mediaType, body });
}

beforeAll(async () => {
  api = await ApiProcess.start({ NODE_ENV: 'development', WORKFLOW_MAX_TTL: '7200', WORKFLOW_STATE_TTL: '3600', LEASE_MAX_TTL_MS: '60000' });
  document = (await (await call('/docs-json')).json()) as OpenAPIObject;
  conformance = new OpenApiConformance(document as unknown as ConstructorParameters<typeof OpenApiConformance>[0]);
});
afterAll(async () => {
  await api?.stop('SIGKILL');
});

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with a bearer scheme, one Problem schema listing every type, and every operation in the problem table', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.components?.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const problem = document.components?.schemas?.Problem as Json;
    expect((problem.properties as Record<string, Json>).type?.enum).toContain('urn:workflow-store:problem:lease-held');
    expect(operationsOf(document).sort()).toEqual(Object.keys(OPERATION_PROBLEMS).sort());
    for (const key of operationsOf(document)) {
      const [method, path] = key.split(' ') as [string, string];
      expect({ key, security: operation(method, path).security }).toEqual({ key, security: PUBLIC_OPERATIONS.has(key) ? [] : [{ bearer: [] }] });
    }
  });

  it('describes the real media types and headers: merge-patch for PATCH, conditional headers, Idempotency-Key on writes only', () => {
    expect(Object.keys((operation('patch', '/workflows/{id}').requestBody as { content: Json }).content)).toEqual(['application/merge-patch+json']);
    const headers = (method: string, path: string): string[] =>
      ((operation(method, path).parameters ?? []) as { in: string; name: string }[]).filter((p) => p.in === 'header').map((p) => p.name);
    expect(headers('get', '/workflows/{id}')).toContain('If-None-Match');
    expect(headers('put', '/workflows/{id}')).toEqual(expect.arrayContaining(['If-Match', 'If-None-Match', 'Lease-Token', 'Idempotency-Key']));
    expect(headers('patch', '/workflows/{id}')).toEqual(expect.arrayContaining(['If-Match', 'Lease-Token', 'Idempotency-Key']));
    expect(headers('delete', '/workflows/{id}')).toEqual(expect.arrayContaining(['If-Match', 'Lease-Token', 'Idempotency-Key']));
    expect(headers('post', '/workflows/{id}/touch')).toEqual(expect.arrayContaining(['If-Match', 'Lease-Token', 'Idempotency-Key']));
    expect(headers('delete', '/workflows/{id}/lease')).toEqual(expect.arrayContaining(['If-Match', 'Lease-Token']));
    // Honoured there, never required (REQUIRE_IF_MATCH leaves touch and lease release alone): 412, never 428.
    for (const [method, path] of [['post', '/workflows/{id}/touch'], ['delete', '/workflows/{id}/lease']] as const) {
      const ifMatch = ((operation(method, path).parameters ?? []) as { in: string; name: string; required?: boolean }[]).find((p) => p.in === 'header' && p.name === 'If-Match');
      const statuses = Object.keys(operation(method, path).responses as Json);
      expect({ path, required: ifMatch?.required, has412: statuses.includes('412'), has428: statuses.includes('428') }).toEqual({ path, required: false, has412: true, has428: false });
    }
    for (const key of operationsOf(document).filter((k) => k.startsWith('get '))) {
      const [method, path] = key.split(' ') as [string, string];
      expect({ key, headers: headers(method, path) }).toEqual({ key, headers: expect.not.arrayContaining(['Idempotency-Key']) });
    }
    const list = ((operation('get', '/workflows').parameters ?? []) as { name: string }[]).map((p) => p.name);
    expect(list).toEqual(expect.arrayContaining(['type', 'status', 'stalled', 'limit', 'cursor']));
  });

  it("states this deployment's bounds (WORKFLOW_MAX_TTL=7200, LEASE_MAX_TTL_MS=60000), not the type's", () => {
    const ttl = (schema: Json, field: string): Json => (schema.properties as Record<string, Json>)[field] as Json;
    expect(ttl(requestSchema('post', '/workflows'), 'ttlSeconds')).toMatchObject({ minimum: 1, maximum: 7200 });
    expect(ttl(requestSchema('put', '/workflows/{id}'), 'ttlSeconds')).toMatchObject({ maximum: 7200 });
    expect(ttl(requestSchema('post', '/workflows/{id}/lease'), 'ttlMs')).toMatchObject({ minimum: 100, maximum: 60000 });
    expect(JSON.stringify(document).includes(String(Number.MAX_SAFE_INTEGER))).toBe(false);
  });

  it('has request examples that are valid and succeed when sent, in the order a workflow lives', async () => {
    const id = 'invoice-42';
    const send = async (key: string, headers: Record<string, string> = {}): Promise<Response> => {
      const [method, path] = key.split(' ') as [string, string];
      const example = REQUEST_EXAMPLES[key] as { mediaType: string; value: unknown };
      return call(path.replace('{id}', id), { method: method.toUpperCase(), headers: { 'content-type': example.mediaType, ...headers }, body: JSON.stringify(example.value) });
    };
    expect((await send('post /workflows')).status).toBe(201);
    expect((await send('put /workflows/{id}')).status).toBe(200);
    expect((await send('patch /workflows/{id}')).status).toBe(200);
    expect((await send('post /workflows/{id}/touch')).status).toBe(200);
    const lease = await send('post /workflows/{id}/lease');
    expect(lease.status).toBe(201);
    const { token } = (await lease.json()) as { token: number };
    expect((await send('put /workflows/{id}/lease', { 'lease-token': String(token) })).status).toBe(200);
    expect(Object.keys(REQUEST_EXAMPLES).sort()).toEqual(
      operationsOf(document).filter((key) => REQUEST_EXAMPLES[key] !== undefined || operation(...(key.split(' ') as [string, string])).requestBody !== undefined).sort(),
    );
  });

  it('documents the answers a new user found undocumented, each with a body the schema accepts', async () => {
    const id = randomId();
    const created = await call('/workflows', { method: 'POST', headers: json, body: JSON.stringify({ id, type: 'doc', state: {} }) });
    const answers: [Response, string][] = [
      [created, 'POST'],
      [await call('/workflows', { method: 'POST', headers: json, body: JSON.stringify({ type: 'a b', state: {} }) }), 'POST'],
      [await call('/workflows', { method: 'POST', headers: json, body: JSON.stringify({ id, type: 'doc', state: {} }) }), 'POST'],
      [await call('/workflows', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }), 'POST'],
      [await call('/workflows', { method: 'POST', headers: json, body: '{"type":' }), 'POST'],
      [await call(`/workflows/${id}`, { headers: { 'if-none-match': '"1"' } }), 'GET'],
      [await call(`/workflows/${randomId()}`), 'GET'],
      [await call(`/workflows/${'a'.repeat(101)}`), 'GET'],
      [await call(`/workflows/${randomId()}`, { method: 'PUT', headers: json, body: JSON.stringify({ type: 'doc', state: {} }) }), 'PUT'],
      [await call(`/workflows/${id}`, { method: 'PUT', headers: { ...json, 'if-match': '"9"' }, body: JSON.stringify({ type: 'doc', state: {} }) }), 'PUT'],
      [await call(`/workflows/${randomId()}`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: '{}' }), 'PATCH'],
      [await call(`/workflows/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json', 'if-match': '"9"' }, body: '{}' }), 'PATCH'],
      [await call(`/workflows/${id}`, { method: 'PATCH', headers: json, body: '{}' }), 'PATCH'],
      [await call(`/workflows/${randomId()}`, { method: 'DELETE' }), 'DELETE'],
      [await call(`/workflows/${id}`, { method: 'DELETE', headers: { 'if-match': '"9"' } }), 'DELETE'],
      [await call('/workflows?limit=0'), 'GET'],
      [await call('/workflows?limit=2&type=doc'), 'GET'],
      [await call(`/workflows/${id}/versions`), 'GET'],
      [await call(`/workflows/${id}/versions/1`), 'GET'],
      [await call(`/workflows/${id}/versions/9`), 'GET'],
      [await call('/health/ready'), 'GET'],
      [await call('/metrics'), 'GET'],
    ];
    const statuses = answers.map(([response, method]) => `${method} ${response.status}`);
    expect(statuses).toEqual([
      'POST 201', 'POST 400', 'POST 409', 'POST 415', 'POST 400', 'GET 304', 'GET 404', 'GET 400', 'PUT 201', 'PUT 412', 'PATCH 404', 'PATCH 412',
      'PATCH 415', 'DELETE 404', 'DELETE 412', 'GET 400', 'GET 200', 'GET 200', 'GET 200', 'GET 404', 'GET 200', 'GET 200',
    ]);
    const invalidJson = (await answers[4]?.[0].clone().json()) as { type: string };
    expect(invalidJson.type).toBe('urn:workflow-store:problem:invalid-json');
    const longId = (await answers[7]?.[0].clone().json()) as { instance?: string };
    expect((longId.instance ?? '').includes('a'.repeat(101))).toBe(false);
    const violations = (await Promise.all(answers.map(([response, method]) => documented(response, method)))).flat();
    expect(violations).toEqual([]);
  });

  it('is checked for real: an undocumented status, media type or body shape is a violation', () => {
    const problem = JSON.stringify({ type: 'urn:workflow-store:problem:not-found', title: 'No such workflow', status: 404, detail: 'x' });
    expect(conformance.check({ method: 'GET', url: '/workflows/x', status: 418, mediaType: 'application/json', body: '{}' })).toHaveLength(1);
    expect(conformance.check({ method: 'GET', url: '/workflows/x', status: 404, mediaType: 'text/html', body: '<p>' })).toHaveLength(1);
    expect(conformance.check({ method: 'GET', url: '/workflows/x', status: 200, mediaType: 'application/json', body: '{"id":1}' })).toHaveLength(1);
    expect(conformance.check({ method: 'GET', url: '/workflows/x', status: 404, mediaType: 'application/problem+json', body: '{"title":1}' })).toHaveLength(1);
    expect(conformance.check({ method: 'POST', url: '/workflows/x/unknown', status: 200, mediaType: '', body: '' })).toHaveLength(1);
    expect(conformance.check({ method: 'POST', url: '/workflows/x/unknown', status: 401, mediaType: '', body: '' })).toEqual([]);
    expect(conformance.check({ method: 'GET', url: '/workflows/x', status: 404, mediaType: 'application/problem+json', body: problem })).toEqual([]);
  });
});
