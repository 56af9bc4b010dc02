/**
 * Leases across an API restart on the same Redis (tokens keep growing, a held lease survives and still fences), and
 * leases with API keys: the lease routes need the write role, and a lease is confined to its tenant.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiProcess } from '../support/api-process.js';
import { fileRedisServer } from '../support/file-redis-server.js';
import { LeaseHttp } from '../support/lease-http.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { apiKey, bearer } from '../security/api-keys.js';

const LONG_MS = 60_000;

const redis = fileRedisServer();

describe('an API restart on the same Redis', () => {
  it('keeps issuing strictly increasing tokens, and a lease held before the restart still fences writes after it', async () => {
    const env = { USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: randomPrefix(), LEASE_SWEEP_INTERVAL_MS: '100' };
    const id = randomId('restart');
    const kept = randomId('kept');
    const tokens: number[] = [];
    let heldToken: number;

    const before = await ApiProcess.start(env);
    try {
      const http = new LeaseHttp(before.url);
      for (const wf of [id, kept]) await http.create(wf);
      for (let round = 0; round < 10; round++) {
        const lease = await http.acquired(id, 'before', LONG_MS);
        tokens.push(lease.token);
        expect((await http.release(id, lease.token)).status).toBe(204);
      }
      heldToken = (await http.acquired(kept, 'holder', LONG_MS)).token;
    } finally {
      expect(await before.stop()).toBe(0);
    }

    const after = await ApiProcess.start(env);
    try {
      const http = new LeaseHttp(after.url);
      for (let round = 0; round < 10; round++) {
        const lease = await http.acquired(id, 'after', LONG_MS);
        tokens.push(lease.token);
        expect((await http.release(id, lease.token)).status).toBe(204);
      }
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1] as number);

      // The lease taken before the restart is still live: held for others, usable by its holder.
      expect(await http.liveLease(kept)).toMatchObject({ owner: 'holder' });
      expect((await http.write('PUT', kept)).problem).toBe('lease-held');
      expect((await http.write('PUT', kept, { token: heldToken })).status).toBe(200);
      expect((await http.release(kept, heldToken)).status).toBe(204);
    } finally {
      await after.stop('SIGKILL');
    }
  }, 60_000);
});

describe('leases with API keys', () => {
  const acme = { read: apiKey('acme', 'read'), write: apiKey('acme', 'write') };
  const globex = { write: apiKey('globex', 'write') };
  let api: ApiProcess;

  beforeAll(async () => {
    api = await ApiProcess.start({
      USE_REDIS: 'true',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: randomPrefix(),
      API_KEYS: [acme.read.entry, acme.write.entry, globex.write.entry].join(','),
      RATE_LIMIT_PER_MINUTE: '0',
    });
  });
  afterAll(async () => {
    await api?.stop('SIGKILL');
  });

  it('needs the write role for the lease routes (401 without a key, 403 with a read key); a read key may list the stalled', async () => {
    const id = randomId('keys');
    const writer = new LeaseHttp(api.url, bearer(acme.write.key));
    await writer.create(id);
    const lease = await writer.acquired(id, 'worker', LONG_MS);
    for (const [client, status] of [
      [new LeaseHttp(api.url), 401],
      [new LeaseHttp(api.url, bearer(acme.read.key)), 403],
    ] as const) {
      expect((await client.acquire(id, 'reader', LONG_MS)).status).toBe(status);
      expect((await client.renew(id, lease.token, LONG_MS)).status).toBe(status);
      expect((await client.release(id, lease.token)).status).toBe(status);
    }
    expect((await new LeaseHttp(api.url, bearer(acme.read.key)).call('GET', '/workflows?stalled=true')).status).toBe(200);
    // Nothing the refused calls did: still the same lease.
    expect(await writer.liveLease(id)).toEqual({ owner: 'worker', expiresAt: lease.expiresAt });
    expect((await writer.release(id, lease.token)).status).toBe(204);
  });

  it("confines a lease to its tenant: another tenant's workflow of the same id is neither held nor fenced by it", async () => {
    const id = randomId('shared');
    const acmeHttp = new LeaseHttp(api.url, bearer(acme.write.key));
    const globexHttp = new LeaseHttp(api.url, bearer(globex.write.key));
    await acmeHttp.create(id);
    await globexHttp.create(id);
    const acmeLease = await acmeHttp.acquired(id, 'acme-worker', LONG_MS);

    expect((await globexHttp.write('PUT', id)).status).toBe(200);
    const globexLease = await globexHttp.acquired(id, 'globex-worker', LONG_MS);
    // Each tenant's token is foreign to the other's workflow.
    expect((await globexHttp.write('PUT', id, { token: acmeLease.token })).problem).toBe('lease-lost');
    expect((await acmeHttp.write('PUT', id, { token: globexLease.token })).problem).toBe('lease-lost');
    expect((await acmeHttp.release(id, globexLease.token)).problem).toBe('lease-lost');
    // Each is held by its own owner.
    expect(await acmeHttp.liveLease(id)).toMatchObject({ owner: 'acme-worker' });
    expect(await globexHttp.liveLease(id)).toMatchObject({ owner: 'globex-worker' });
    expect((await acmeHttp.release(id, acmeLease.token)).status).toBe(204);
    expect((await globexHttp.release(id, globexLease.token)).status).toBe(204);
  });
});
