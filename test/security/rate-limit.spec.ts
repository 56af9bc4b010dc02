/**
 * The per-key rate limit is shared by two API replicas through one Redis: together they let through exactly
 * RATE_LIMIT_PER_MINUTE requests of a key, then answer 429 problem+json with Retry-After; other keys are not
 * affected; health probes are never limited.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { ApiProcess } from '../support/api-process.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { apiKey, bearer } from './api-keys.js';

const LIMIT = 20;
const busy = apiKey('acme', 'read');
const quiet = apiKey('acme', 'read');
let server: RedisServer;
let replicas: ApiProcess[] = [];

beforeAll(async () => {
  server = await RedisServer.start();
  const env = {
    USE_REDIS: 'true',
    REDIS_URL: server.url,
    REDIS_KEY_PREFIX: randomPrefix(),
    API_KEYS: `${busy.entry},${quiet.entry}`,
    RATE_LIMIT_PER_MINUTE: String(LIMIT),
  };
  replicas = await ApiProcess.startMany(2, env);
}, 30_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await server?.stop();
});

it(`lets ${LIMIT} requests a minute of one key through across two replicas, then 429 with Retry-After`, async () => {
  const statuses: number[] = [];
  let limited: Response | undefined;
  for (let i = 0; i < 2 * LIMIT; i++) {
    const replica = replicas[i % 2] as ApiProcess;
    const response = await fetch(`${replica.url}/workflows?limit=1`, { headers: bearer(busy.key) });
    statuses.push(response.status);
    if (response.status === 429) limited = response;
    else await response.arrayBuffer();
  }
  expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
  expect(statuses.slice(LIMIT).every((s) => s === 429)).toBe(true);
  if (!limited) throw new Error('no request was limited');
  expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(((await limited.json()) as { type: string }).type).toBe('urn:workflow-store:problem:rate-limited');

  expect((await fetch(`${replicas[1]?.url}/workflows?limit=1`, { headers: bearer(quiet.key) })).status).toBe(200);
  expect((await fetch(`${replicas[0]?.url}/health/ready`)).status).toBe(200);
});
