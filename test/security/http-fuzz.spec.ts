/**
 * Property-based fuzzing of the running API (Redis backend, API keys on): 10 000 generated and mutated requests
 * — methods, paths, ids, headers, content types, bodies, merge patches. For every one: no 5xx, the process stays
 * up, every 4xx is problem+json, and a rejected request leaves Redis byte-for-byte as it was (DEBUG DIGEST of the
 * whole dataset before and after).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { ApiProcess } from '../support/api-process.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { apiKey } from './api-keys.js';

const RUNS = 10_000;
const writer = apiKey('fuzz', 'write');
const reader = apiKey('fuzz', 'read');
const SEEDS = ['seed-1', 'seed-2', 'seed-3'];

let server: RedisServer;
let raw: Redis;
let api: ApiProcess;

beforeAll(async () => {
  server = await RedisServer.start({ args: ['--enable-debug-command', 'local'] });
  raw = new Redis(server.url);
  api = await ApiProcess.start({
    USE_REDIS: 'true',
    REDIS_URL: server.url,
    REDIS_KEY_PREFIX: randomPrefix(),
    API_KEYS: `${writer.entry},${reader.entry}`,
    RATE_LIMIT_PER_MINUTE: '0',
    REDIS_PURGE_INTERVAL_MS: '0', // no background sweep changing the dataset between two digests
    WORKFLOW_MAX_STATE_BYTES: '4096',
    BODY_LIMIT_BYTES: '16384',
    ADMIN_ROUTES: 'true',
  });
  for (const id of SEEDS) {
    const response = await fetch(`${api.url}/workflows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${writer.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id, type: 'form', state: { step: 1, items: [1, 2] } }),
    });
    expect(response.status).toBe(201);
  }
}, 30_000);

afterAll(async () => {
  await api?.stop();
  raw?.disconnect();
  await server?.stop();
});

const hostileText = fc.constantFrom('*', '?', '[a-z]', '{x}', ':', 'a:b', '..', '%2e%2e', '%00', '\u0000', ' ', '\n', 'é', 'ﬁ', '__proto__', 'constructor', 'x'.repeat(65), '');
const idText = fc.oneof(fc.constantFrom(...SEEDS), fc.stringMatching(/^[A-Za-z0-9_.-]{1,70}$/), hostileText, fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 20 }));
const path = fc.oneof(
  fc.constant('/workflows'),
  idText.map((id) => `/workflows/${encodeURIComponent(id)}`),
  idText.map((id) => `/workflows/${id}`),
  idText.map((id) => `/workflows/${encodeURIComponent(id)}/touch`),
  fc.constantFrom('/admin/export', '/workflows?limit=5000', '/workflows?cursor=zzz', '/workflows?type=*&status=[a]', '/workflows?limit=-1', '/nope', '/workflows/seed-1/../../admin/export'),
  // The board: a bearer key is no board session, so nothing here may change anything either.
  fc.constantFrom('/board', '/board/login', '/board/logout', '/board/w/seed-1', '/board/w/seed-1/row', '/board/w/seed-1/touch', '/board/w/seed-1/delete', '/board/events?after=1-0-0', '/board/assets/..%2f..%2fpackage.json'),
  idText.map((id) => `/board/w/${encodeURIComponent(id)}/release`),
);
const protoJson = fc.constantFrom(
  '{"__proto__":{"polluted":true},"type":"x","state":{}}',
  '{"type":"x","state":{"__proto__":{"polluted":true}}}',
  '{"state":{"constructor":{"prototype":{"polluted":true}}}}',
  '{"type":"x","state":{"a":1},"state":{"b":2}}',
  `{"type":"x","state":${'['.repeat(200)}${']'.repeat(200)}}`,
  `{"type":"x","state":{"deep":${'{"a":'.repeat(70)}1${'}'.repeat(70)}}}`,
);
const validBody = fc.record(
  {
    id: idText,
    type: fc.oneof(fc.constantFrom('form', 'invoice'), idText),
    status: fc.oneof(fc.constantFrom('review', 'done'), idText),
    state: fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }), fc.jsonValue({ maxDepth: 2 })),
    ttlSeconds: fc.oneof(fc.integer({ min: -5, max: 100_000_000 }), fc.double(), fc.string()),
    version: fc.nat(),
    expiresAt: fc.constant('2099-01-01T00:00:00.000Z'),
    extra: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  validBody.map((value) => JSON.stringify(value)),
  protoJson,
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  validBody.map((value) => JSON.stringify(value)).chain((text) => fc.nat({ max: Math.max(0, text.length - 1) }).map((cut) => text.slice(0, cut))),
  fc.string({ maxLength: 200 }),
  fc.constant('x'.repeat(20_000)),
  fc.constant(`{"type":"big","state":{"s":"${'x'.repeat(8000)}"}}`),
);
const header = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
  path,
  body: header(body),
  contentType: header(fc.constantFrom('application/json', 'application/merge-patch+json', 'text/plain', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/json, text/html')),
  ifMatch: header(fc.constantFrom('"1"', '"2"', '*', 'W/"1"', '"99999999999999999999999"', '"-1"', 'garbage', '"1", "2"', '')),
  ifNoneMatch: header(fc.constantFrom('*', '"1"', 'W/"1"', 'x')),
  idempotencyKey: header(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.~-]{1,20}$/), fc.constantFrom('a|b', 'a=b', 'x'.repeat(200), ''))),
  auth: fc.oneof({ arbitrary: fc.constant('writer'), weight: 12 }, { arbitrary: fc.constantFrom('reader', 'none', 'bogus', 'malformed'), weight: 4 }),
});

function authorization(kind: string): Record<string, string> {
  if (kind === 'writer') return { authorization: `Bearer ${writer.key}` };
  if (kind === 'reader') return { authorization: `Bearer ${reader.key}` };
  if (kind === 'bogus') return { authorization: 'Bearer wfs_bogus' };
  if (kind === 'malformed') return { authorization: 'Bearer a b' };
  return {};
}

it(`survives ${RUNS} generated and mutated requests: no 5xx, every 4xx problem+json, nothing changed by a rejected request`, async () => {
  let digest = await raw.call('DEBUG', 'DIGEST');
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const headers: Record<string, string> = { ...authorization(r.auth) };
      if (r.contentType !== undefined) headers['content-type'] = r.contentType;
      if (r.ifMatch !== undefined) headers['if-match'] = r.ifMatch;
      if (r.ifNoneMatch !== undefined) headers['if-none-match'] = r.ifNoneMatch;
      if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
      const withBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
      let response: Response;
      try {
        response = await fetch(`${api.url}${r.path}`, { method: r.method, headers, body: withBody ? r.body : undefined });
      } catch (error) {
        // fetch itself refuses some inputs (a bad header value); those never reached the service.
        if (error instanceof TypeError && /header|Headers|ByteString|URL/i.test(String(error.message) + String((error as Error & { cause?: Error }).cause?.message))) return;
        throw error;
      }
      const text = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      expect(response.status).toBeLessThan(500);
      const after = await raw.call('DEBUG', 'DIGEST');
      const isBoardPage = r.path.startsWith('/board') && (response.headers.get('content-type') ?? '').startsWith('text/html');
      if (r.path.startsWith('/board')) expect(after).toBe(digest);
      if (response.status >= 400) {
        // Board pages answer a refusal as a page (login, error page); everything else as problem+json.
        if (!isBoardPage) expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        if (r.method !== 'HEAD' && !isBoardPage) expect((JSON.parse(text) as { status: number }).status).toBe(response.status);
        expect(after).toBe(digest);
      }
      digest = after;
    }),
    { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
  );
  process.stdout.write(`fuzz statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}\n`);
  expect(api.child.exitCode).toBeNull();
  expect((await fetch(`${api.url}/health/live`)).status).toBe(200);
  // Nothing polluted Object.prototype in the service: a workflow created now has exactly its own members.
  const fresh = await fetch(`${api.url}/workflows`, {
    method: 'POST',
    headers: { ...authorization('writer'), 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'after-fuzz', state: {} }),
  });
  expect(fresh.status).toBe(201);
  const created = (await fresh.json()) as Record<string, unknown>;
  expect(Object.keys(created).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'state', 'status', 'ttlSeconds', 'type', 'updatedAt', 'version']);
  expect(created.state).toEqual({});
}, 300_000);
