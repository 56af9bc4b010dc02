/**
 * Leases over HTTP on both backends (one API each, LEASE_SWEEP_INTERVAL_MS=100): acquire / renew / release and the
 * fencing of every write route by Lease-Token (If-Match still applies), expiry (stalled listing, the old token fenced
 * out, a new holder or a plain write ending the stall), token monotonicity, bad input answered 400 with nothing
 * changed, lease events on GET /events, metrics and the OpenAPI description.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiProcess } from '../support/api-process.js';
import { eventually, LeaseHttp, type WriteMethod } from '../support/lease-http.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { SseClient, type StreamedEvent } from '../support/sse-client.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const MAX_TTL_MS = 60_000;
/** Long enough never to expire during a test on a loaded machine. */
const LONG_MS = 30_000;
const WRITES: WriteMethod[] = ['PUT', 'PATCH', 'TOUCH', 'DELETE'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A lease event as GET /events sends it: the workflow event plus the lease. */
type LeaseEvent = StreamedEvent & { lease?: { token: number; owner: string } };

describe.each(['memory', 'redis'] as const)('leases over HTTP on the %s backend', (backend) => {
  let redis: RedisServer | undefined;
  let api: ApiProcess;
  let http: LeaseHttp;

  beforeAll(async () => {
    const env: Record<string, string> = { LEASE_SWEEP_INTERVAL_MS: '100', LEASE_MAX_TTL_MS: String(MAX_TTL_MS), RATE_LIMIT_PER_MINUTE: '0' };
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

  it('acquire (201), held (409 lease-held), fencing of every write, If-Match with the token, renew, release, release again (409)', async () => {
    const id = randomId('lease');
    await http.create(id);
    const acquired = await http.acquire(id, 'worker-1', LONG_MS);
    expect(acquired.status).toBe(201);
    const lease = acquired.body;
    expect(lease).toEqual({ id, token: expect.any(Number), owner: 'worker-1', expiresAt: expect.any(String) });
    // A JSON number, exact: above 2^50 (ms × 1000) and below 2^53.
    expect(Number.isSafeInteger(lease.token)).toBe(true);
    expect(lease.token).toBeGreaterThan(2 ** 50);
    expect(Date.parse(lease.expiresAt) - Date.now()).toBeGreaterThan(LONG_MS - 5000);

    // Held, by anyone else and by the same owner: 409 with who holds it and until when.
    for (const owner of ['worker-2', 'worker-1']) {
      const held = await http.acquire(id, owner, 1000);
      expect([held.status, held.contentType, held.problem]).toEqual([409, PROBLEM, 'lease-held']);
      expect(held.body).toMatchObject({ status: 409, owner: 'worker-1', expiresAt: lease.expiresAt });
    }

    // Every write route without the token: lease-held; with a made-up or an older token: lease-lost. Nothing written.
    for (const method of WRITES) {
      const without = await http.write(method, id);
      expect([method, without.status, without.problem]).toEqual([method, 409, 'lease-held']);
      expect(without.body).toMatchObject({ owner: 'worker-1', expiresAt: lease.expiresAt });
      for (const token of [lease.token - 1, 123]) {
        const stale = await http.write(method, id, { token });
        expect([method, stale.status, stale.problem]).toEqual([method, 409, 'lease-lost']);
        // The live lease's token is never told (a client writing with it would defeat the fencing).
        expect(JSON.stringify(stale.body)).not.toContain(String(lease.token));
      }
    }
    // A lease refuses a conditional write too, and as a 409 (the lease, not the precondition, refused it).
    expect((await http.write('PUT', id, { ifMatch: '"1"' })).problem).toBe('lease-held');
    expect(await http.version(id)).toBe(1);

    // With the token: written; If-Match still applies (412 on a stale one, with the right token).
    const put = await http.write('PUT', id, { token: lease.token }, 2);
    expect([put.status, put.etag]).toEqual([200, '"2"']);
    const stale = await http.write('PUT', id, { token: lease.token, ifMatch: '"1"' }, 3);
    expect([stale.status, stale.problem, stale.body.currentVersion]).toEqual([412, 'precondition-failed', 2]);
    expect((await http.write('PUT', id, { token: lease.token, ifMatch: '"2"' }, 3)).etag).toBe('"3"');
    expect((await http.write('PATCH', id, { token: lease.token }, 4)).etag).toBe('"4"');
    expect((await http.write('TOUCH', id, { token: lease.token })).status).toBe(200);
    expect(await http.version(id)).toBe(4);

    // Renew: same token, later expiry; a wrong token is lease-lost.
    const renewed = await http.renew(id, lease.token, LONG_MS + 10_000);
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({ id, token: lease.token, owner: 'worker-1' });
    expect(Date.parse(renewed.body.expiresAt)).toBeGreaterThan(Date.parse(lease.expiresAt));
    expect(await http.liveLease(id)).toEqual({ owner: 'worker-1', expiresAt: renewed.body.expiresAt });
    const wrongRenew = await http.renew(id, lease.token + 1, 1000);
    expect([wrongRenew.status, wrongRenew.problem]).toEqual([409, 'lease-lost']);

    // Release: 204; again: lease-lost; the released token fences nothing in any more, but writes without one pass.
    const released = await http.release(id, lease.token);
    expect(released.status).toBe(204);
    const again = await http.release(id, lease.token);
    expect([again.status, again.problem]).toEqual([409, 'lease-lost']);
    expect((await http.renew(id, lease.token, 1000)).problem).toBe('lease-lost');
    expect((await http.write('PUT', id, { token: lease.token })).problem).toBe('lease-lost');
    expect(await http.liveLease(id)).toBeNull();
    const free = await http.write('PUT', id, {}, 5);
    expect([free.status, free.etag]).toEqual([200, '"5"']);

    // A delete with the token ends the workflow and its lease; acquiring a missing workflow is 404.
    const next = await http.acquired(id, 'worker-2', LONG_MS);
    expect(next.token).toBeGreaterThan(lease.token);
    expect((await http.write('DELETE', id, { token: next.token })).status).toBe(204);
    const missing = await http.acquire(id, 'worker-2', LONG_MS);
    expect([missing.status, missing.problem]).toEqual([404, 'not-found']);
    expect((await http.renew(id, next.token, 1000)).status).toBe(404);
    expect((await http.release(id, next.token)).status).toBe(404);
  });

  it('answers a keyed write replayed after a lease was taken with its replay (the replay is answered before the lease check)', async () => {
    const id = randomId('replay');
    await http.create(id);
    const first = await http.write('PUT', id, { idempotencyKey: `k-${id}` }, 7);
    expect(first.status).toBe(200);
    const lease = await http.acquired(id, 'worker-1', LONG_MS);
    const replay = await http.write('PUT', id, { idempotencyKey: `k-${id}` }, 7);
    expect([replay.status, replay.etag]).toEqual([200, '"2"']);
    // A new write with a new key is fenced as any other.
    expect((await http.write('PUT', id, { idempotencyKey: `k2-${id}` }, 8)).problem).toBe('lease-held');
    expect((await http.release(id, lease.token)).status).toBe(204);
  });

  it('expiry: the workflow is listed as stalled, the old token is fenced out, a new holder (larger token) or a plain write ends the stall', async () => {
    const [taken, written, released, live] = [randomId('taken'), randomId('written'), randomId('released'), randomId('live')];
    for (const id of [taken, written, released, live]) await http.create(id);
    const old = new Map<string, number>();
    for (const id of [taken, written, released]) old.set(id, (await http.acquired(id, 'worker-1', 300)).token);
    const liveLease = await http.acquired(live, 'worker-1', LONG_MS);

    await sleep(600);
    await eventually(async () => {
      const stalled = await http.stalledIds();
      return [taken, written, released].every((id) => stalled.includes(id));
    }, 'the three workflows listed as stalled');
    // A lease that has not expired does not stall its workflow.
    expect(await http.stalledIds()).not.toContain(live);

    // The expired lease's token is fenced out of every write.
    for (const method of WRITES) {
      const fenced = await http.write(method, taken, { token: old.get(taken) as number });
      expect([method, fenced.status, fenced.problem]).toEqual([method, 409, 'lease-lost']);
    }
    expect((await http.renew(taken, old.get(taken) as number, 1000)).problem).toBe('lease-lost');

    // Another owner takes it over: a larger token, and no longer stalled.
    const takeover = await http.acquire(taken, 'worker-2', LONG_MS);
    expect([takeover.status, takeover.body.owner]).toEqual([201, 'worker-2']);
    expect(takeover.body.token).toBeGreaterThan(old.get(taken) as number);
    // A plain write (no token) on a stalled workflow goes through and clears the mark.
    const plain = await http.write('PATCH', written);
    expect([plain.status, plain.etag]).toEqual([200, '"2"']);
    // The expired lease can still be released by its holder (nobody acquired the workflow since): also clears it.
    expect((await http.release(released, old.get(released) as number)).status).toBe(204);

    const stalled = await http.stalledIds();
    expect([taken, written, released].filter((id) => stalled.includes(id))).toEqual([]);
    // The old holder's token stays fenced out after the takeover; the new one works.
    expect((await http.write('PUT', taken, { token: old.get(taken) as number })).problem).toBe('lease-lost');
    expect((await http.write('PUT', taken, { token: takeover.body.token })).status).toBe(200);
    // Cleared by the write: the expired token can no longer be released.
    expect((await http.release(written, old.get(written) as number)).problem).toBe('lease-lost');
    expect((await http.release(taken, takeover.body.token)).status).toBe(204);
    expect((await http.release(live, liveLease.token)).status).toBe(204);
  });

  it('refuses stalled other than true, or with type or status (400)', async () => {
    for (const query of ['stalled=false', 'stalled=1', 'stalled=', 'stalled=true&type=doc', 'stalled=true&status=created', 'stalled=true&stalled=true']) {
      const answer = await http.call('GET', `/workflows?${query}`);
      expect([query, answer.status, answer.problem]).toEqual([query, 400, 'invalid-input']);
    }
    expect((await http.call('GET', '/workflows?stalled=true&limit=5')).status).toBe(200);
  });

  it('issues strictly increasing tokens over many acquire/release rounds, takeovers and writes', async () => {
    const id = randomId('mono');
    await http.create(id);
    const tokens: number[] = [];
    for (let round = 0; round < 25; round++) {
      const lease = await http.acquired(id, `worker-${round % 3}`, LONG_MS);
      tokens.push(lease.token);
      if (round % 5 === 4) expect((await http.write('PUT', id, { token: lease.token }, round)).status).toBe(200);
      expect((await http.release(id, lease.token)).status).toBe(204);
    }
    // Released leases are fenced out, the last one included.
    expect((await http.write('PUT', id, { token: tokens[tokens.length - 1] as number })).problem).toBe('lease-lost');
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1] as number);
  });

  it('answers malformed bodies, headers and ttlMs with 400 problems and changes nothing', async () => {
    const id = randomId('bad');
    await http.create(id);
    const json = { 'content-type': 'application/json' };
    const unchanged = async (what: string, live: { owner: string; expiresAt: string } | null): Promise<void> => {
      expect([what, await http.version(id), await http.liveLease(id)]).toEqual([what, 1, live]);
    };
    const expect400 = (what: string, answer: { status: number; contentType: string | null; problem?: string }, type = 'invalid-input'): void => {
      expect([what, answer.status, answer.contentType, answer.problem]).toEqual([what, 400, PROBLEM, type]);
    };

    // Acquire: the body's shape, fields and bounds.
    const bodies: [string, string][] = [
      ['unknown field', JSON.stringify({ owner: 'w', ttlMs: 1000, extra: 1 })],
      ['empty owner', JSON.stringify({ owner: '', ttlMs: 1000 })],
      ['owner with a space', JSON.stringify({ owner: 'w 1', ttlMs: 1000 })],
      ['owner too long', JSON.stringify({ owner: 'w'.repeat(129), ttlMs: 1000 })],
      ['owner not ASCII', JSON.stringify({ owner: 'wörker', ttlMs: 1000 })],
      ['owner a number', JSON.stringify({ owner: 7, ttlMs: 1000 })],
      ['owner missing', JSON.stringify({ ttlMs: 1000 })],
      ['ttlMs missing', JSON.stringify({ owner: 'w' })],
      ['ttlMs a string', JSON.stringify({ owner: 'w', ttlMs: '1000' })],
      ['ttlMs not whole', JSON.stringify({ owner: 'w', ttlMs: 1000.5 })],
      ['ttlMs negative', JSON.stringify({ owner: 'w', ttlMs: -1 })],
      ['an array', '[]'],
      ['null', 'null'],
      ['a string', '"w"'],
    ];
    for (const [what, body] of bodies) expect400(what, await http.call('POST', `/workflows/${id}/lease`, json, body));
    // Out of bounds: the message names the bound (100 ms; LEASE_MAX_TTL_MS as configured).
    for (const ttlMs of [99, 0, MAX_TTL_MS + 1]) {
      const answer = await http.acquire(id, 'w', ttlMs);
      expect400(`ttlMs ${ttlMs}`, answer);
      expect(String(answer.body.detail)).toContain(`from 100 to ${MAX_TTL_MS}`);
      expect(answer.body.errors).toEqual([{ path: 'ttlMs', message: expect.stringContaining(`${MAX_TTL_MS}`) }]);
    }
    expect400('no body', await http.call('POST', `/workflows/${id}/lease`));
    expect400('not JSON', await http.call('POST', `/workflows/${id}/lease`, json, '{owner'), 'invalid-json');
    expect((await http.call('POST', `/workflows/${id}/lease`, { 'content-type': 'text/plain' }, 'w')).status).toBe(415);
    expect400('bad id', await http.call('POST', '/workflows/a*b/lease', json, JSON.stringify({ owner: 'w', ttlMs: 1000 })));
    await unchanged('after bad acquisitions', null);

    // Within the bounds: both ends are accepted.
    const shortest = await http.acquired(id, 'edge', 100);
    await eventually(async () => (await http.liveLease(id)) === null, 'the 100 ms lease to end');
    expect((await http.release(id, shortest.token)).status).toBe(204);
    const lease = await http.acquired(id, 'a-Z_0.9:@/-', MAX_TTL_MS);
    const live = { owner: 'a-Z_0.9:@/-', expiresAt: lease.expiresAt };
    await unchanged('after a valid acquisition', live);

    // Lease-Token: missing or malformed on renew and release; malformed on every write route.
    // (Whitespace around a value is not part of it in HTTP: " 12" is the token 12, so it is no case here.)
    const malformed = ['', 'abc', '0', '-1', '+5', '1.5', '1e15', '0x10', `${lease.token}a`, `${lease.token},${lease.token}`, '9007199254740993', '12345678901234567'];
    for (const token of malformed) {
      expect400(`renew with ${JSON.stringify(token)}`, await http.renew(id, token, 1000));
      expect400(`release with ${JSON.stringify(token)}`, await http.release(id, token));
      for (const method of WRITES) expect400(`${method} with ${JSON.stringify(token)}`, await http.write(method, id, { token }));
    }
    expect400('renew without a token', await http.call('PUT', `/workflows/${id}/lease`, json, JSON.stringify({ ttlMs: 1000 })));
    expect400('release without a token', await http.call('DELETE', `/workflows/${id}/lease`));
    await unchanged('after malformed tokens', live);

    // Renew: the body (with the right token).
    const renewBodies: [string, string | undefined][] = [
      ['unknown field', JSON.stringify({ ttlMs: 1000, owner: 'x' })],
      ['ttlMs missing', '{}'],
      ['ttlMs a string', JSON.stringify({ ttlMs: '1000' })],
      ['ttlMs too short', JSON.stringify({ ttlMs: 99 })],
      ['ttlMs too long', JSON.stringify({ ttlMs: MAX_TTL_MS + 1 })],
      ['an array', '[1000]'],
      ['no body', undefined],
    ];
    for (const [what, body] of renewBodies) {
      expect400(`renew: ${what}`, await http.call('PUT', `/workflows/${id}/lease`, { ...(body === undefined ? {} : json), 'lease-token': String(lease.token) }, body));
    }
    expect(String((await http.renew(id, lease.token, MAX_TTL_MS + 1)).body.detail)).toContain(`${MAX_TTL_MS}`);
    await unchanged('after bad renewals', live);

    // A create takes no token: a workflow that does not exist has no lease. Nothing is created.
    const other = randomId('bad-create');
    expect400('create with a token', await http.call('POST', '/workflows', { ...json, 'lease-token': String(lease.token) }, JSON.stringify({ id: other, type: 'doc', state: {} })));
    expect400('create-only PUT with a token', await http.call('PUT', `/workflows/${other}`, { ...json, 'if-none-match': '*', 'lease-token': String(lease.token) }, '{"state":{}}'));
    expect(await http.version(other)).toBe(0);
    await unchanged('at the end', live);
    expect((await http.release(id, lease.token)).status).toBe(204);
  });

  it('streams lease-acquired, lease-released and lease-expired on GET /events, with the lease token and owner', async () => {
    const type = randomId('ltype');
    const id = randomId('feed');
    const stream = await SseClient.open(`${api.url}/events?type=${type}`);
    try {
      expect(stream.status).toBe(200);
      await http.create(id, type);
      const first = await http.acquired(id, 'worker-1', LONG_MS);
      expect((await http.write('PATCH', id, { token: first.token })).status).toBe(200);
      expect((await http.release(id, first.token)).status).toBe(204);
      const second = await http.acquired(id, 'worker-2', 300);
      const events = (): LeaseEvent[] => (stream.events as LeaseEvent[]).filter((e) => e.id === id);
      await stream.waitFor(() => events().some((e) => e.op === 'lease-expired'), 'the lease-expired event', 10_000);

      const summary = events().map((e) => ({ op: e.op, version: e.version, lease: e.lease }));
      expect(summary).toEqual([
        { op: 'created', version: 1, lease: undefined },
        { op: 'lease-acquired', version: 1, lease: { token: first.token, owner: 'worker-1' } },
        { op: 'updated', version: 2, lease: undefined },
        { op: 'lease-released', version: 2, lease: { token: first.token, owner: 'worker-1' } },
        { op: 'lease-acquired', version: 2, lease: { token: second.token, owner: 'worker-2' } },
        { op: 'lease-expired', version: 2, lease: { token: second.token, owner: 'worker-2' } },
      ]);
      for (const event of events()) expect(event).toMatchObject({ type, status: 'created', tenant: 'default' });
    } finally {
      stream.destroy();
    }
  });

  it('times the lease calls in the store metrics and documents the routes, the header, stalled and the problems', async () => {
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    for (const [operation, outcome] of [
      ['acquireLease', 'ok'],
      ['acquireLease', 'lease-held'],
      ['renewLease', 'ok'],
      ['renewLease', 'lease-lost'],
      ['releaseLease', 'ok'],
      ['releaseLease', 'lease-lost'],
    ]) {
      expect(metrics).toMatch(new RegExp(`^workflow_store_operation_duration_seconds_count\\{operation="${operation}",outcome="${outcome}"\\} [1-9]`, 'm'));
    }

    type Operation = { parameters?: { name: string; in: string; required?: boolean }[]; responses: Record<string, unknown> };
    const doc = (await (await fetch(`${api.url}/docs-json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> };
    };
    const lease = doc.paths['/workflows/{id}/lease'] ?? {};
    expect(Object.keys(lease).sort()).toEqual(['delete', 'post', 'put']);
    expect(Object.keys(lease.post?.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '401', '403', '404', '409']));
    for (const method of ['put', 'delete']) {
      expect(Object.keys(lease[method]?.responses ?? {})).toEqual(expect.arrayContaining(['400', '404', '409']));
      expect(lease[method]?.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'Lease-Token', required: true })]));
    }
    const fenced: [string, string][] = [
      ['/workflows/{id}', 'put'],
      ['/workflows/{id}', 'patch'],
      ['/workflows/{id}', 'delete'],
      ['/workflows/{id}/touch', 'post'],
    ];
    for (const [path, method] of fenced) {
      const op = doc.paths[path]?.[method];
      const header = (op?.parameters ?? []).find((p) => p.in === 'header' && p.name === 'Lease-Token');
      expect([path, method, header?.required, Object.keys(op?.responses ?? {}).includes('409')]).toEqual([path, method, false, true]);
    }
    expect((doc.paths['/workflows']?.get?.parameters ?? []).map((p) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(['query:stalled']));
    expect(doc.components.schemas.WorkflowEvent?.properties.op?.enum).toEqual(expect.arrayContaining(['lease-acquired', 'lease-released', 'lease-expired']));
    expect(doc.components.schemas.WorkflowEvent?.properties.lease).toBeDefined();
  });
});
