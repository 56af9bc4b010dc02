import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiProcess } from '../support/api-process.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';

const json = { 'content-type': 'application/json' };

describe('REQUIRE_IF_MATCH=true', () => {
  let api: ApiProcess;
  beforeAll(async () => {
    api = await ApiProcess.start({ REQUIRE_IF_MATCH: 'true' });
  });
  afterAll(async () => {
    await api.stop('SIGKILL');
  });

  it('answers 428 to writes without If-Match and accepts them with it', async () => {
    const id = randomId();
    expect((await fetch(`${api.url}/workflows/${id}`, { method: 'PUT', headers: { ...json, 'if-none-match': '*' }, body: '{"state":{}}' })).status).toBe(201);
    const unconditional = await fetch(`${api.url}/workflows/${id}`, { method: 'PUT', headers: json, body: '{"state":{"a":1}}' });
    expect(unconditional.status).toBe(428);
    expect(((await unconditional.json()) as { type: string }).type).toBe('urn:workflow-store:problem:precondition-required');
    expect((await fetch(`${api.url}/workflows/${id}`, { method: 'DELETE' })).status).toBe(428);
    expect((await fetch(`${api.url}/workflows/${id}`, { method: 'PUT', headers: { ...json, 'if-match': '"1"' }, body: '{"state":{"a":1}}' })).status).toBe(200);
  });
});

describe('Redis out of memory (noeviction)', () => {
  let redis: RedisServer;
  let api: ApiProcess;
  beforeAll(async () => {
    redis = await RedisServer.start({ args: ['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction'] });
    api = await ApiProcess.start({ USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: randomPrefix() });
  });
  afterAll(async () => {
    await api.stop('SIGKILL');
    await redis.stop();
  });

  it('refuses writes with 507 storage-full while reads and deletes keep working', async () => {
    const state = JSON.stringify({ type: 't', state: { blob: 'x'.repeat(4000) } });
    const stored: string[] = [];
    let full: Response | undefined;
    for (let i = 0; i < 3000 && !full; i++) {
      const id = randomId();
      const r = await fetch(`${api.url}/workflows/${id}`, { method: 'PUT', headers: json, body: state });
      if (r.status === 201) stored.push(id);
      else full = r;
    }
    expect(full?.status).toBe(507);
    expect(((await full!.json()) as { type: string }).type).toBe('urn:workflow-store:problem:storage-full');
    expect((await fetch(`${api.url}/workflows/${stored[0]}`)).status).toBe(200);
    expect((await fetch(`${api.url}/workflows/${stored[1]}`, { method: 'DELETE' })).status).toBe(204);
  }, 60_000);
});
