/**
 * `POST /workflows/:id/touch` and `DELETE /workflows/:id/lease` honour If-Match on both backends: a stale version
 * is 412 precondition-failed (currentVersion in the body) and changes nothing; the lease token is checked before
 * the version on a release; REQUIRE_IF_MATCH does not require it on either. Every answer here is also checked
 * against the OpenAPI document (openapi-answers.setup.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiProcess } from '../support/api-process.js';
import { LeaseHttp } from '../support/lease-http.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const LONG_MS = 30_000;

describe.each(['memory', 'redis'] as const)('If-Match on touch and lease release, %s backend', (backend) => {
  let redis: RedisServer | undefined;
  let api: ApiProcess;
  let http: LeaseHttp;

  beforeAll(async () => {
    const env: Record<string, string> = { RATE_LIMIT_PER_MINUTE: '0' };
    if (backend === 'redis') {
      redis = await RedisServer.start();
      Object.assign(env, { USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: randomPrefix() });
    }
    api = await ApiProcess.start(env);
    http = new LeaseHttp(api.url);
  });
  afterAll(async () => {
    await api?.stop('SIGKILL');
    await redis?.stop();
  });

  const touch = (id: string, headers: Record<string, string> = {}) => http.call('POST', `/workflows/${id}/touch`, { ...JSON_TYPE, ...headers }, '{"ttlSeconds":600}');
  const expiresAt = async (id: string): Promise<unknown> => (await http.call('GET', `/workflows/${id}`)).body.expiresAt;

  it('touch: the current version (or *, or a list holding it) touches; a stale or weak one is 412 and touches nothing', async () => {
    const id = randomId('touch');
    await http.create(id);
    expect((await http.write('PATCH', id)).etag).toBe('"2"');
    const before = await expiresAt(id);
    for (const ifMatch of ['"1"', '"3"', 'W/"2"', '"1", "3"']) {
      const stale = await touch(id, { 'if-match': ifMatch });
      expect([ifMatch, stale.status, stale.problem, stale.body.currentVersion]).toEqual([ifMatch, 412, 'precondition-failed', 2]);
    }
    expect(await expiresAt(id)).toBe(before);
    for (const ifMatch of ['"2"', '*', '"1", "2"']) {
      const touched = await touch(id, { 'if-match': ifMatch });
      expect([ifMatch, touched.status, touched.etag, touched.body.version, touched.body.ttlSeconds]).toEqual([ifMatch, 200, '"2"', 2, 600]);
    }
    // A conditional touch of a workflow that does not exist is a failed precondition too.
    const missing = await touch(randomId('missing'), { 'if-match': '*' });
    expect([missing.status, missing.problem]).toEqual([412, 'precondition-failed']);
    const malformed = await touch(id, { 'if-match': '2' });
    expect([malformed.status, malformed.problem]).toEqual([400, 'invalid-input']);
  });

  it('touch: the If-Match is part of an idempotent request; the lease is checked before the version', async () => {
    const id = randomId('touch-key');
    await http.create(id);
    const first = await touch(id, { 'if-match': '"1"', 'idempotency-key': 'tk-1' });
    expect(first.status).toBe(200);
    const again = await http.call('POST', `/workflows/${id}/touch`, { ...JSON_TYPE, 'if-match': '"1"', 'idempotency-key': 'tk-1' }, '{"ttlSeconds":600}');
    expect([again.status, again.etag]).toEqual([200, '"1"']);
    const reused = await touch(id, { 'if-match': '"7"', 'idempotency-key': 'tk-1' });
    expect([reused.status, reused.problem]).toEqual([422, 'idempotency-key-reused']);

    const lease = await http.acquired(id, 'worker', LONG_MS);
    expect((await touch(id, { 'if-match': '"7"' })).problem).toBe('lease-held');
    expect((await touch(id, { 'if-match': '"7"', 'lease-token': String(lease.token + 1) })).problem).toBe('lease-lost');
    const stale = await touch(id, { 'if-match': '"7"', 'lease-token': String(lease.token) });
    expect([stale.status, stale.problem, stale.body.currentVersion]).toEqual([412, 'precondition-failed', 1]);
    expect((await touch(id, { 'if-match': '"1"', 'lease-token': String(lease.token) })).status).toBe(200);
  });

  it('release: a stale If-Match is 412 and the lease still holds; a wrong token is 409 whatever the version; the current version releases', async () => {
    const id = randomId('release');
    await http.create(id);
    const lease = await http.acquired(id, 'worker', LONG_MS);
    expect((await http.write('PUT', id, { token: lease.token }, 2)).etag).toBe('"2"');
    const release = (headers: Record<string, string>) => http.call('DELETE', `/workflows/${id}/lease`, headers);

    const stale = await release({ 'lease-token': String(lease.token), 'if-match': '"1"' });
    expect([stale.status, stale.problem, stale.body.currentVersion]).toEqual([412, 'precondition-failed', 2]);
    expect(await http.liveLease(id)).toEqual({ owner: 'worker', expiresAt: lease.expiresAt });
    const wrongToken = await release({ 'lease-token': String(lease.token + 1), 'if-match': '"1"' });
    expect([wrongToken.status, wrongToken.problem]).toEqual([409, 'lease-lost']);
    expect((await release({ 'lease-token': String(lease.token), 'if-match': '"2"' })).status).toBe(204);
    expect(await http.liveLease(id)).toBeNull();

    const next = await http.acquired(id, 'next', LONG_MS);
    expect((await release({ 'lease-token': String(next.token), 'if-match': '*' })).status).toBe(204);
    const gone = await http.call('DELETE', `/workflows/${randomId('missing')}/lease`, { 'lease-token': '5', 'if-match': '"1"' });
    expect([gone.status, gone.problem]).toEqual([412, 'precondition-failed']);
  });
});

describe('REQUIRE_IF_MATCH=true leaves touch and lease release alone', () => {
  let api: ApiProcess;
  beforeAll(async () => {
    api = await ApiProcess.start({ REQUIRE_IF_MATCH: 'true' });
  });
  afterAll(async () => {
    await api?.stop('SIGKILL');
  });

  it('touch and release without If-Match succeed; with a stale one they are 412; other writes still need it (428)', async () => {
    const http = new LeaseHttp(api.url);
    const id = randomId('required');
    await http.create(id);
    expect((await http.call('POST', `/workflows/${id}/touch`, JSON_TYPE, '{}')).status).toBe(200);
    expect((await http.call('POST', `/workflows/${id}/touch`, { ...JSON_TYPE, 'if-match': '"4"' }, '{}')).status).toBe(412);
    const lease = await http.acquired(id, 'worker', LONG_MS);
    expect((await http.call('DELETE', `/workflows/${id}/lease`, { 'lease-token': String(lease.token), 'if-match': '"4"' })).status).toBe(412);
    expect((await http.release(id, lease.token)).status).toBe(204);
    expect((await http.write('PATCH', id)).problem).toBe('precondition-required');
  });
});
