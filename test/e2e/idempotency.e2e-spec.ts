/**
 * Idempotency-Key over HTTP, against the built API as a child process on both backends: a reused key with another
 * request is 422 on every write route and changes nothing; a replay answers with the original status and ETag,
 * marked `Idempotent-Replayed: true`, its body the workflow as that write left it while the history keeps that
 * version (else as stored now; see workflow-versions.e2e-spec.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiProcess } from '../support/api-process.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { apiKey, bearer } from '../security/api-keys.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const json = { 'content-type': 'application/json' };
const mergePatch = { 'content-type': 'application/merge-patch+json' };
const REUSED = 'urn:workflow-store:problem:idempotency-key-reused';

/** What a GET shows of a workflow: compared before and after a refused write. */
interface Seen {
  status: number;
  etag: string | null;
  body: string;
}

describe.each(['memory', 'redis'] as const)('Idempotency-Key over HTTP on the %s backend', (backend) => {
  let redis: RedisServer | undefined;
  let api: ApiProcess;
  const call = (path: string, init: RequestInit = {}) => fetch(`${api.url}${path}`, init);
  const seen = async (id: string): Promise<Seen> => {
    const response = await call(`/workflows/${id}`);
    return { status: response.status, etag: response.headers.get('etag'), body: await response.text() };
  };
  const create = async (id: string, state: Record<string, unknown> = { n: 0 }): Promise<void> => {
    const response = await call('/workflows', { method: 'POST', headers: json, body: JSON.stringify({ id, type: 'form', state }) });
    expect(response.status).toBe(201);
  };
  /** A 422 idempotency-key-reused problem, and a GET that shows exactly what it showed before. */
  const expectReused = async (response: Response, id: string, before: Seen): Promise<void> => {
    expect([response.status, response.headers.get('content-type')]).toEqual([422, PROBLEM]);
    const problem = (await response.json()) as { type: string; status: number; detail: string };
    expect(problem).toMatchObject({ type: REUSED, status: 422 });
    expect(problem.detail).toMatch(/new Idempotency-Key/);
    expect(response.headers.get('idempotent-replayed')).toBeNull();
    expect(await seen(id)).toEqual(before);
  };
  const replayed = (response: Response) => response.headers.get('idempotent-replayed');
  const currentVersion = (response: Response) => response.headers.get('workflow-current-version');

  beforeAll(async () => {
    const env: Record<string, string> = {};
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

  it('refuses a key reused with another request with 422 idempotency-key-reused on every write route, changing nothing', async () => {
    const key = randomId('key');
    const keyed = { 'idempotency-key': key };

    // POST /workflows: the key check comes before "the id is taken" (not a 409).
    const posted = randomId();
    const post = (state: unknown) => call('/workflows', { method: 'POST', headers: { ...json, ...keyed }, body: JSON.stringify({ id: posted, type: 'form', state }) });
    expect((await post({ n: 1 })).status).toBe(201);
    await expectReused(await post({ n: 2 }), posted, await seen(posted));

    // PUT /workflows/:id
    const put = randomId();
    const save = (state: unknown) => call(`/workflows/${put}`, { method: 'PUT', headers: { ...json, ...keyed }, body: JSON.stringify({ state }) });
    expect((await save({ n: 1 })).status).toBe(201);
    await expectReused(await save({ n: 2 }), put, await seen(put));

    // PATCH /workflows/:id
    const patched = randomId();
    await create(patched);
    const patch = (state: unknown) => call(`/workflows/${patched}`, { method: 'PATCH', headers: { ...mergePatch, ...keyed }, body: JSON.stringify({ state }) });
    expect((await patch({ n: 1 })).status).toBe(200);
    await expectReused(await patch({ n: 2 }), patched, await seen(patched));

    // POST /workflows/:id/touch: another ttlSeconds is another request (its expiresAt must not move).
    const touched = randomId();
    await create(touched);
    const touch = (ttlSeconds: number) => call(`/workflows/${touched}/touch`, { method: 'POST', headers: { ...json, ...keyed }, body: JSON.stringify({ ttlSeconds }) });
    expect((await touch(600)).status).toBe(200);
    await expectReused(await touch(700), touched, await seen(touched));

    // DELETE /workflows/:id: another If-Match is another request, on a workflow written again since.
    const deleted = randomId();
    await create(deleted);
    expect((await call(`/workflows/${deleted}`, { method: 'DELETE', headers: { ...keyed, 'if-match': '"1"' } })).status).toBe(204);
    await create(deleted);
    await expectReused(await call(`/workflows/${deleted}`, { method: 'DELETE', headers: keyed }), deleted, await seen(deleted));
  });

  it('refuses a DELETE with the key of an earlier save (422) and keeps the workflow', async () => {
    const id = randomId();
    const keyed = { 'idempotency-key': randomId('key') };
    expect((await call(`/workflows/${id}`, { method: 'PUT', headers: { ...json, ...keyed }, body: '{"state":{"a":1}}' })).status).toBe(201);
    const before = await seen(id);
    await expectReused(await call(`/workflows/${id}`, { method: 'DELETE', headers: keyed }), id, before);
    expect(before.status).toBe(200);
  });

  it('answers a replay with the original status and ETag, Idempotent-Replayed: true, on every write route', async () => {
    const id = randomId();
    const keyOf = () => ({ 'idempotency-key': randomId('key') });
    /** Sends the request twice; the second answer must repeat the first one's status, ETag and Location. */
    const twice = async (path: string, init: RequestInit, status: number, etag: string | null) => {
      const first = await call(path, init);
      const again = await call(path, init);
      expect([first.status, first.headers.get('etag'), replayed(first)]).toEqual([status, etag, null]);
      expect([again.status, again.headers.get('etag'), replayed(again)]).toEqual([status, etag, 'true']);
      expect(again.headers.get('location')).toBe(first.headers.get('location'));
      expect(currentVersion(again)).toBeNull();
      return { first, again };
    };

    // POST create: 201 + Location both times, the same body.
    const post = await twice('/workflows', { method: 'POST', headers: { ...json, ...keyOf() }, body: JSON.stringify({ id, type: 'form', state: { step: 1 } }) }, 201, '"1"');
    expect(post.again.headers.get('location')).toBe(`/workflows/${id}`);
    expect(await post.again.json()).toEqual(await post.first.json());

    // PUT replacing (If-Match): 200, the version it produced.
    await twice(`/workflows/${id}`, { method: 'PUT', headers: { ...json, ...keyOf(), 'if-match': '"1"' }, body: '{"state":{"step":2}}' }, 200, '"2"');
    // PATCH: 200.
    await twice(`/workflows/${id}`, { method: 'PATCH', headers: { ...mergePatch, ...keyOf() }, body: '{"status":"review"}' }, 200, '"3"');
    // touch: 200, the version unchanged.
    await twice(`/workflows/${id}/touch`, { method: 'POST', headers: { ...json, ...keyOf() }, body: '{"ttlSeconds":900}' }, 200, '"3"');
    const now = (await (await call(`/workflows/${id}`)).json()) as { version: number; status: string; state: unknown; ttlSeconds: number };
    expect(now).toMatchObject({ version: 3, status: 'review', state: { step: 2 }, ttlSeconds: 900 });

    // DELETE: 204 both times; the original carries no ETag (nothing is left to tag), nor does its replay.
    const removed = await twice(`/workflows/${id}`, { method: 'DELETE', headers: keyOf() }, 204, null);
    expect(await removed.again.text()).toBe('');
    expect((await call(`/workflows/${id}`)).status).toBe(404);

    // PUT that created (upsert): 201 + Location, also on the replay.
    const upserted = randomId();
    const upsert = await twice(`/workflows/${upserted}`, { method: 'PUT', headers: { ...json, ...keyOf() }, body: '{"type":"form","state":{"a":1}}' }, 201, '"1"');
    expect(upsert.again.headers.get('location')).toBe(`/workflows/${upserted}`);
    // PUT with If-None-Match: * (create only): 201 on the replay, not 412.
    const createOnly = randomId();
    await twice(`/workflows/${createOnly}`, { method: 'PUT', headers: { ...json, ...keyOf(), 'if-none-match': '*' }, body: '{"state":{"a":1}}' }, 201, '"1"');
    // Requests without a key never carry the header.
    const plain = await call(`/workflows/${createOnly}`, { method: 'PUT', headers: json, body: '{"state":{"a":2}}' });
    expect([plain.status, plain.headers.get('etag'), replayed(plain)]).toEqual([200, '"2"', null]);
  });

  it('keeps the original ETag on a replay after another write, and says the current version', async () => {
    const id = randomId();
    const keyed = { 'idempotency-key': randomId('key') };
    const put = () => call(`/workflows/${id}`, { method: 'PUT', headers: { ...json, ...keyed }, body: '{"type":"form","state":{"step":1}}' });
    expect((await put()).status).toBe(201);
    expect((await call(`/workflows/${id}`, { method: 'PATCH', headers: mergePatch, body: '{"state":{"step":2}}' })).status).toBe(200);

    const again = await put();
    expect([again.status, again.headers.get('etag'), replayed(again), currentVersion(again)]).toEqual([201, '"1"', 'true', '2']);
    // The body is the workflow as the original write left it (the history keeps version 1), not written back.
    expect(await again.json()).toMatchObject({ id, version: 1, state: { step: 1 } });
    expect(await seen(id)).toMatchObject({ status: 200, etag: '"2"' });

    // A delete replayed after the id was created again: 204, and the version that exists now; nothing deleted.
    const deleteKey = { 'idempotency-key': randomId('key') };
    expect((await call(`/workflows/${id}`, { method: 'DELETE', headers: deleteKey })).status).toBe(204);
    await create(id, { reborn: true });
    const deleteAgain = await call(`/workflows/${id}`, { method: 'DELETE', headers: deleteKey });
    expect([deleteAgain.status, deleteAgain.headers.get('etag'), replayed(deleteAgain), currentVersion(deleteAgain)]).toEqual([204, null, 'true', '1']);
    expect((await seen(id)).status).toBe(200);
  });

  it('creates ONE workflow for POST /workflows without an id sent twice with the same key', async () => {
    const type = randomId('type');
    const send = (key: string) =>
      call('/workflows', { method: 'POST', headers: { ...json, 'idempotency-key': key }, body: JSON.stringify({ type, state: { upload: 1 } }) });

    const key = randomId('key');
    const first = await send(key);
    const again = await send(key);
    expect([first.status, replayed(first)]).toEqual([201, null]);
    expect([again.status, replayed(again)]).toEqual([201, 'true']);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('etag')).toBe('"1"');
    // Two at once: still one workflow, both answered 201 with the same Location.
    const raced = await Promise.all([send(`${key}-b`), send(`${key}-b`)]);
    expect(raced.map((r) => r.status)).toEqual([201, 201]);
    expect(raced[0]?.headers.get('location')).toBe(raced[1]?.headers.get('location'));
    expect(raced.map(replayed).sort()).toEqual(['true', null].sort());

    const page = (await (await call(`/workflows?type=${type}`)).json()) as { items: { id: string }[]; nextCursor: string | null };
    expect(page.nextCursor).toBeNull();
    expect(page.items.map((w) => `/workflows/${w.id}`).sort()).toEqual([first.headers.get('location'), raced[0]?.headers.get('location')].sort());
  });

  it('a stale If-Match: 422 with a key already used, 412 with a new key; the same retry is replayed', async () => {
    const id = randomId();
    await create(id);
    const put = (key: string, ifMatch: string, state: unknown) =>
      call(`/workflows/${id}`, { method: 'PUT', headers: { ...json, 'idempotency-key': key, 'if-match': ifMatch }, body: JSON.stringify({ state }) });
    const key = randomId('key');
    expect((await put(key, '"1"', { a: 1 })).status).toBe(200);
    const before = await seen(id);

    // If-Match "1" is stale now: with the used key and another body it is a misuse of the key, not a success.
    await expectReused(await put(key, '"1"', { a: 2 }), id, before);
    // The same request again (its own write made If-Match stale) is a replay, not a 412.
    const retry = await put(key, '"1"', { a: 1 });
    expect([retry.status, retry.headers.get('etag'), replayed(retry)]).toEqual([200, '"2"', 'true']);
    // A new key: the precondition decides.
    const stale = await put(randomId('key'), '"1"', { a: 2 });
    expect(stale.status).toBe(412);
    expect(await stale.json()).toMatchObject({ type: 'urn:workflow-store:problem:precondition-failed', currentVersion: 2 });
    expect(await seen(id)).toEqual(before);
  });

  it('If-Match: * on PATCH and DELETE: a retry after the write succeeded is a replay', async () => {
    const id = randomId();
    await create(id);
    const patch = { method: 'PATCH', headers: { ...mergePatch, 'if-match': '*', 'idempotency-key': randomId('key') }, body: '{"status":"done"}' };
    const patched = await call(`/workflows/${id}`, patch);
    const patchedAgain = await call(`/workflows/${id}`, patch);
    expect([patched.status, patched.headers.get('etag')]).toEqual([200, '"2"']);
    expect([patchedAgain.status, patchedAgain.headers.get('etag'), replayed(patchedAgain)]).toEqual([200, '"2"', 'true']);

    const remove = { method: 'DELETE', headers: { 'if-match': '*', 'idempotency-key': randomId('key') } };
    expect((await call(`/workflows/${id}`, remove)).status).toBe(204);
    const removedAgain = await call(`/workflows/${id}`, remove);
    expect([removedAgain.status, replayed(removedAgain)]).toEqual([204, 'true']);
    // Without a key, If-Match: * on a missing workflow is still a failed precondition.
    expect((await call(`/workflows/${id}`, { method: 'DELETE', headers: { 'if-match': '*' } })).status).toBe(412);
  });

  it('scopes keys per workflow: a key used on workflow A works independently on workflow B', async () => {
    const [a, b] = [randomId('a'), randomId('b')];
    const keyed = { 'idempotency-key': randomId('key') };
    const put = (id: string, state: unknown) => call(`/workflows/${id}`, { method: 'PUT', headers: { ...json, ...keyed }, body: JSON.stringify({ state }) });
    const onA = await put(a, { on: 'a' });
    const onB = await put(b, { on: 'b' });
    expect([onA.status, replayed(onA)]).toEqual([201, null]);
    expect([onB.status, replayed(onB)]).toEqual([201, null]);
    expect(await onB.json()).toMatchObject({ id: b, state: { on: 'b' } });
    expect(replayed(await put(a, { on: 'a' }))).toBe('true');
    expect(replayed(await put(b, { on: 'b' }))).toBe('true');
    // Within B the key is taken by B's request.
    await expectReused(await call(`/workflows/${b}`, { method: 'PATCH', headers: { ...mergePatch, ...keyed }, body: '{"status":"x"}' }), b, await seen(b));
  });

  it('does not remember a failed write: its retry is evaluated again', async () => {
    const id = randomId();
    await create(id);
    const keyed = { 'idempotency-key': randomId('key') };
    const post = () => call('/workflows', { method: 'POST', headers: { ...json, ...keyed }, body: JSON.stringify({ id, type: 'form', state: { mine: true } }) });
    expect((await post()).status).toBe(409);
    expect((await call(`/workflows/${id}`, { method: 'DELETE' })).status).toBe(204);
    const retried = await post();
    expect([retried.status, replayed(retried)]).toEqual([201, null]);
    expect(await retried.json()).toMatchObject({ id, state: { mine: true } });
  });

  it('documents Idempotency-Key, 422 and the replay headers on the write routes only', async () => {
    type Operation = { parameters?: { name: string; in: string }[]; responses: Record<string, { headers?: Record<string, unknown> }> };
    const doc = (await (await call('/docs-json')).json()) as { paths: Record<string, Record<string, Operation>> };
    const hasKey = (op: Operation | undefined) => (op?.parameters ?? []).some((p) => p.in === 'header' && p.name === 'Idempotency-Key');
    const writes: [string, string][] = [
      ['/workflows', 'post'],
      ['/workflows/{id}', 'put'],
      ['/workflows/{id}', 'patch'],
      ['/workflows/{id}', 'delete'],
      ['/workflows/{id}/touch', 'post'],
    ];
    for (const [path, method] of writes) {
      const op = doc.paths[path]?.[method];
      expect([path, method, hasKey(op), Object.keys(op?.responses ?? {}).includes('422')]).toEqual([path, method, true, true]);
      const success = Object.entries(op?.responses ?? {}).filter(([status]) => status.startsWith('2'));
      expect(success.length).toBeGreaterThan(0);
      for (const [, response] of success) expect(Object.keys(response.headers ?? {})).toEqual(expect.arrayContaining(['Idempotent-Replayed', 'Workflow-Current-Version']));
    }
    expect(hasKey(doc.paths['/workflows']?.get)).toBe(false);
    expect(hasKey(doc.paths['/workflows/{id}']?.get)).toBe(false);
  });
});

describe('storage-format problem (Redis)', () => {
  const acme = apiKey('acme', 'write');
  const prefix = randomPrefix();
  let redis: RedisServer;
  let api: ApiProcess;

  beforeAll(async () => {
    redis = await RedisServer.start();
    // No rate limit: its counters would be the only keys a refused request adds.
    api = await ApiProcess.start({
      USE_REDIS: 'true',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      API_KEYS: acme.entry,
      REDIS_SHARDS: '64',
      RATE_LIMIT_PER_MINUTE: '0',
    });
  });
  afterAll(async () => {
    await api?.stop('SIGKILL');
    await redis?.stop();
  });

  it("answers 500 storage-format with the store's instructions when a tenant's data has another shard count", async () => {
    // What a deployment configured with REDIS_SHARDS=8 records at tenant acme's first use, after this API booted.
    await redis.command('HSET', `${prefix}:format`, 'acme', JSON.stringify({ format: 2, shards: 8, since: new Date().toISOString() }));
    const keysBefore = await redis.command('DBSIZE');
    const id = randomId();
    const write = await fetch(`${api.url}/workflows/${id}`, { method: 'PUT', headers: { ...json, ...bearer(acme.key) }, body: '{"state":{}}' });
    expect([write.status, write.headers.get('content-type')]).toEqual([500, PROBLEM]);
    const problem = (await write.json()) as { type: string; status: number; detail: string };
    expect(problem).toMatchObject({ type: 'urn:workflow-store:problem:storage-format', status: 500 });
    expect(problem.detail).toContain('REDIS_SHARDS=8');
    expect(problem.detail).toContain('workflow-store upgrade --shards 64');
    // Nothing was written beside the other format.
    expect(await redis.command('DBSIZE')).toBe(keysBefore);
  });
});
