import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiProcess } from '../support/api-process.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const json = { 'content-type': 'application/json' };
const mergePatch = { 'content-type': 'application/merge-patch+json' };

describe.each(['memory', 'redis'] as const)('HTTP API on the %s backend', (backend) => {
  let redis: RedisServer | undefined;
  let api: ApiProcess;
  const call = (path: string, init: RequestInit = {}) => fetch(`${api.url}${path}`, init);

  beforeAll(async () => {
    const env: Record<string, string> = { WORKFLOW_MAX_STATE_BYTES: '4096' };
    if (backend === 'redis') {
      redis = await RedisServer.start();
      Object.assign(env, { USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: randomPrefix() });
    }
    api = await ApiProcess.start(env);
  });
  afterAll(async () => {
    await api?.stop('SIGKILL');
    await redis?.stop();
  });

  it('creates (201, Location, ETag), reads (200, 304), refuses a taken id (409)', async () => {
    const id = randomId();
    const created = await call('/workflows', { method: 'POST', headers: json, body: JSON.stringify({ id, type: 'invoice', state: { pages: 1 } }) });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/workflows/${id}`);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.headers.get('x-request-id')).toBeTruthy();
    expect(await created.json()).toMatchObject({ id, version: 1, status: 'created', state: { pages: 1 } });

    const read = await call(`/workflows/${id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe('"1"');
    expect((await call(`/workflows/${id}`, { headers: { 'if-none-match': '"1"' } })).status).toBe(304);
    expect((await call(`/workflows/${id}`, { headers: { 'if-none-match': '"7"' } })).status).toBe(200);

    const taken = await call('/workflows', { method: 'POST', headers: json, body: JSON.stringify({ id, type: 'x', state: {} }) });
    expect(taken.status).toBe(409);
    expect(taken.headers.get('content-type')).toBe(PROBLEM);
    expect(await taken.json()).toMatchObject({ type: 'urn:workflow-store:problem:already-exists', status: 409 });
  });

  it('PUT: upsert (201 then 200), If-Match compare-and-set (412 with currentVersion), If-None-Match: * create-only', async () => {
    const id = randomId();
    const put = (headers: Record<string, string>, body: unknown) => call(`/workflows/${id}`, { method: 'PUT', headers: { ...json, ...headers }, body: JSON.stringify(body) });
    expect((await put({}, { type: 'form', state: { step: 1 } })).status).toBe(201);
    expect((await put({}, { state: { step: 2 } })).status).toBe(200);
    const stale = await put({ 'if-match': '"1"' }, { state: { step: 3 } });
    expect(stale.status).toBe(412);
    expect(await stale.json()).toMatchObject({ type: 'urn:workflow-store:problem:precondition-failed', currentVersion: 2 });
    const ok = await put({ 'if-match': '"2"' }, { state: { step: 3 } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('etag')).toBe('"3"');
    expect((await put({ 'if-none-match': '*' }, { state: {} })).status).toBe(412);
    expect((await call(`/workflows/${randomId()}`, { method: 'PUT', headers: { ...json, 'if-none-match': '*' }, body: '{"state":{}}' })).status).toBe(201);
  });

  it('PATCH applies a merge patch; refuses server-owned fields (400) and other media types (415)', async () => {
    const id = randomId();
    await call('/workflows', { method: 'POST', headers: json, body: JSON.stringify({ id, type: 't', state: { pages: 1, draft: 'x', keep: [1] } }) });
    const patched = await call(`/workflows/${id}`, { method: 'PATCH', headers: { ...mergePatch, 'if-match': '"1"' }, body: JSON.stringify({ status: 'review', state: { pages: 3, draft: null } }) });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ version: 2, status: 'review', state: { pages: 3, keep: [1] } });
    const owned = await call(`/workflows/${id}`, { method: 'PATCH', headers: mergePatch, body: JSON.stringify({ version: 9 }) });
    expect(owned.status).toBe(400);
    expect(owned.headers.get('content-type')).toBe(PROBLEM);
    expect((await call(`/workflows/${id}`, { method: 'PATCH', headers: json, body: '{}' })).status).toBe(415);
    expect((await call(`/workflows/${id}`)).headers.get('etag')).toBe('"2"');
  });

  it('DELETE (204, 412 on a stale If-Match, 404 after), touch, list with cursor', async () => {
    const type = randomId('type');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await call('/workflows', { method: 'POST', headers: json, body: JSON.stringify({ type, state: { i } }) });
      ids.push(((await r.json()) as { id: string }).id);
    }
    const first = (await (await call(`/workflows?type=${type}&limit=3`)).json()) as { items: { id: string }[]; nextCursor: string };
    const second = (await (await call(`/workflows?type=${type}&limit=3&cursor=${first.nextCursor}`)).json()) as { items: { id: string }[]; nextCursor: null };
    expect([...first.items, ...second.items].map((w) => w.id).sort()).toEqual([...ids].sort());
    expect(second.nextCursor).toBeNull();
    expect((await call('/workflows?limit=abc')).status).toBe(400);
    expect((await call('/workflows?bogus=1')).status).toBe(400);

    const touched = await call(`/workflows/${ids[0]}/touch`, { method: 'POST', headers: json, body: '{"ttlSeconds":600}' });
    expect(touched.status).toBe(200);
    expect(await touched.json()).toMatchObject({ version: 1, ttlSeconds: 600 });

    expect((await call(`/workflows/${ids[0]}`, { method: 'DELETE', headers: { 'if-match': '"5"' } })).status).toBe(412);
    expect((await call(`/workflows/${ids[0]}`, { method: 'DELETE', headers: { 'if-match': '"1"' } })).status).toBe(204);
    expect((await call(`/workflows/${ids[0]}`)).status).toBe(404);
  });

  it('applies a write retried with the same Idempotency-Key once', async () => {
    const id = randomId();
    const headers = { ...json, 'idempotency-key': randomId('key') };
    const body = JSON.stringify({ type: 't', state: { n: 1 } });
    const first = await call(`/workflows/${id}`, { method: 'PUT', headers, body });
    const again = await call(`/workflows/${id}`, { method: 'PUT', headers, body });
    expect(first.headers.get('etag')).toBe('"1"');
    expect(again.headers.get('etag')).toBe('"1"');
    expect((await call(`/workflows/${id}`, { method: 'PUT', headers: { ...json, 'idempotency-key': 'bad key!' }, body })).status).toBe(400);
  });

  it('answers bad input with problem+json and stores nothing', async () => {
    const id = randomId();
    const cases: [RequestInit, number][] = [
      [{ method: 'POST', headers: json, body: '{not json' }, 400],
      [{ method: 'POST', headers: json, body: `{"id":"${id}","type":"t","state":{},"__proto__":{"x":1}}` }, 400],
      [{ method: 'POST', headers: json, body: JSON.stringify({ id, type: 't', state: {}, extra: 1 }) }, 400],
      [{ method: 'POST', headers: json, body: JSON.stringify({ id, type: 't', state: { blob: 'x'.repeat(5000) } }) }, 413],
      [{ method: 'POST', headers: json, body: JSON.stringify({ id, type: 't', state: { blob: 'x'.repeat(80_000) } }) }, 413],
      [{ method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }, 415],
    ];
    for (const [init, status] of cases) {
      const response = await call('/workflows', init);
      expect([status, response.headers.get('content-type')]).toEqual([status, PROBLEM]);
      const problem = (await response.json()) as { type: string; stack?: unknown };
      expect(problem.type).toMatch(/^urn:workflow-store:problem:/);
      expect(problem.stack).toBeUndefined();
    }
    expect((await call(`/workflows/${id}`)).status).toBe(404);
    expect((await call('/workflows/a*b')).status).toBe(400);
    expect((await call('/nope')).status).toBe(404);
    // An over-long id is a 400 that does not repeat the path (Fastify's own answer was a 414 echoing it whole).
    const long = 'a'.repeat(5000);
    const tooLong = await call(`/workflows/${long}`);
    expect(tooLong.status).toBe(400);
    const tooLongBody = await tooLong.text();
    expect(tooLongBody).toContain('urn:workflow-store:problem:invalid-input');
    expect(tooLongBody.length).toBeLessThan(600);
    // The types the README names: unparseable JSON and an empty JSON body are invalid-json, not invalid-input.
    for (const body of ['{not json', '']) {
      const response = await call('/workflows', { method: 'POST', headers: json, body });
      expect(((await response.json()) as { type: string }).type).toBe('urn:workflow-store:problem:invalid-json');
    }
  });

  it('takes a body nested 64 levels deep, refuses 65 and a 30 000-deep one with invalid-json, and stores nothing for them', async () => {
    // The body object is level 1, so a state of 63 nested objects makes a body 64 deep. The 30 000-deep body (arrays:
    // 60 KB, under this API's body limit) would overflow the stack of any naive recursion over it.
    const objects = (depth: number): string => `${'{"a":'.repeat(depth - 2)}{}${'}'.repeat(depth - 2)}`;
    const arrays = (depth: number): string => `${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}`;
    const deepest = await call('/workflows', { method: 'POST', headers: json, body: `{"id":"depth-64","type":"t","state":${objects(64)}}` });
    expect(deepest.status).toBe(201);
    for (const [id, state] of [['depth-65', objects(65)], ['depth-30k', `{"a":${arrays(30_000)}}`]] as const) {
      const response = await call('/workflows', { method: 'POST', headers: json, body: `{"id":"${id}","type":"t","state":${state}}` });
      expect([response.status, response.headers.get('content-type')]).toEqual([400, PROBLEM]);
      const problem = (await response.json()) as { type: string; detail: string };
      expect(problem.type).toBe('urn:workflow-store:problem:invalid-json');
      expect(problem.detail).toContain('deeper than 64 levels');
      expect((await call(`/workflows/${id}`)).status).toBe(404);
    }
    // As deep in a merge patch: refused the same way before any patch is applied.
    const patch = await call('/workflows/depth-64', {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
      body: `{"state":{"b":${arrays(30_000)}}}`,
    });
    expect(patch.status).toBe(400);
    expect(((await (await call('/workflows/depth-64')).json()) as { version: number }).version).toBe(1);
  });

  it('boots without Fastify warnings (no second error handler over Nest\'s: FSTWRN004)', () => {
    expect(api.output).not.toMatch(/FSTWRN|FastifyWarning/);
  });

  it('serves health, metrics and the OpenAPI document', async () => {
    expect((await call('/health/live')).status).toBe(200);
    expect((await call('/health/ready')).status).toBe(200);
    const metrics = await (await call('/metrics')).text();
    // Read from the latency histogram's counts at scrape time: the same figure under both names.
    expect(metrics).toMatch(/^http_requests_total\{method="GET",route="\/health\/live",status="200"\} 1$/m);
    expect(metrics).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/health\/live",status="200"\} 1$/m);
    expect(metrics).toContain('workflow_store_operation_duration_seconds');
    expect(metrics).toContain('workflow_store_backend_up 1');
    const doc = (await (await call('/docs-json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/workflows', '/workflows/{id}', '/workflows/{id}/touch']));
  });
});

describe('HTTP API when Redis fails', () => {
  it('fails boot with the real cause when Redis is unreachable (no fall back to memory)', async () => {
    await expect(ApiProcess.start({ USE_REDIS: 'true', REDIS_URL: 'redis://127.0.0.1:1', REDIS_CONNECT_TIMEOUT_MS: '500' })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('answers 503 with Retry-After fast while Redis is paused, and is not ready; recovers after', async () => {
    const redis = await RedisServer.start();
    const api = await ApiProcess.start({ USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: randomPrefix(), REDIS_COMMAND_TIMEOUT_MS: '300' });
    try {
      redis.pause();
      const started = Date.now();
      const write = await fetch(`${api.url}/workflows`, { method: 'POST', headers: json, body: '{"type":"t","state":{}}' });
      expect(Date.now() - started).toBeLessThan(1500);
      expect(write.status).toBe(503);
      expect(write.headers.get('retry-after')).toBe('1');
      expect(((await write.json()) as { type: string }).type).toMatch(/outcome-unknown|store-unavailable/);
      expect((await fetch(`${api.url}/health/ready`)).status).toBe(503);
      expect((await fetch(`${api.url}/health/live`)).status).toBe(200);
      redis.resume();
      await new Promise((r) => setTimeout(r, 500));
      expect((await fetch(`${api.url}/health/ready`)).status).toBe(200);
    } finally {
      redis.resume();
      await api.stop('SIGKILL');
      await redis.stop();
    }
  });

  it('on SIGTERM finishes, closes its Redis connection and exits 0', async () => {
    const redis = await RedisServer.start();
    const api = await ApiProcess.start({ USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: randomPrefix() });
    try {
      const inFlight = Array.from({ length: 20 }, (_, i) =>
        fetch(`${api.url}/workflows`, { method: 'POST', headers: json, body: JSON.stringify({ type: 't', state: { i } }) }),
      );
      await new Promise((r) => setTimeout(r, 20));
      const code = await api.stop('SIGTERM');
      const settled = await Promise.allSettled(inFlight);
      const answered = settled.filter((s): s is PromiseFulfilledResult<Response> => s.status === 'fulfilled');
      for (const r of answered) expect([201, 503]).toContain(r.value.status);
      expect(code).toBe(0);
      const clients = String(await redis.command('CLIENT', 'LIST'));
      expect(clients).not.toContain('name=workflow-store');
    } finally {
      await api.stop('SIGKILL');
      await redis.stop();
    }
  });
});
