import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiProcess } from '../support/api-process.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';

const CLIENTS = 32;
const WORKFLOWS = 4;
const DURATION_MS = 3000;
/** Enough contended writes for the check to mean something: the loop runs past DURATION_MS until it has them... */
const MIN_ACKED = 60;
/** ...but no longer than this (a service that cannot make progress fails the count below). */
const MAX_DURATION_MS = 15_000;

describe('two API replicas over one Redis', () => {
  let redis: RedisServer | undefined;
  let replicas: ApiProcess[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: randomPrefix() };
    replicas = await ApiProcess.startMany(2, env);
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    await redis?.stop();
  });

  it('reads through one replica what was written through the other, at once', async () => {
    const [a, b] = replicas as [ApiProcess, ApiProcess];
    const id = randomId();
    const put = await fetch(`${a.url}/workflows/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"type":"t","state":{"v":1}}' });
    expect(put.status).toBe(201);
    const read = await fetch(`${b.url}/workflows/${id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ version: 1, state: { v: 1 } });
  });

  it(`loses no update: ${CLIENTS} clients with If-Match retry loops on ${WORKFLOWS} workflows`, async () => {
    const ids = Array.from({ length: WORKFLOWS }, () => randomId('hot'));
    for (const id of ids) {
      const r = await fetch(`${replicas[0]!.url}/workflows/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"type":"hot","state":{}}' });
      expect(r.status).toBe(201);
    }
    const acked = new Map<string, string[]>(ids.map((id) => [id, []]));
    const unexpected: number[] = [];
    const started = Date.now();
    let ackedCount = 0;
    // Time-bounded, not throughput-bound: a loaded machine gets more time to reach MIN_ACKED instead of failing.
    const goOn = (): boolean => Date.now() - started < DURATION_MS || (ackedCount < MIN_ACKED && Date.now() - started < MAX_DURATION_MS);

    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        const base = replicas[client % replicas.length]!.url;
        for (let n = 0; goOn(); n++) {
          const id = ids[(client + n) % ids.length]!;
          const current = await fetch(`${base}/workflows/${id}`);
          const etag = current.headers.get('etag') as string;
          await current.arrayBuffer();
          const mark = `c${client}-${n}`;
          const patched = await fetch(`${base}/workflows/${id}`, {
            method: 'PATCH',
            headers: { 'content-type': 'application/merge-patch+json', 'if-match': etag },
            body: JSON.stringify({ state: { [mark]: true } }),
          });
          await patched.arrayBuffer();
          if (patched.status === 200) {
            acked.get(id)!.push(mark);
            ackedCount++;
          }
          else if (patched.status !== 412) unexpected.push(patched.status);
        }
      }),
    );

    expect(unexpected).toEqual([]);
    let total = 0;
    for (const id of ids) {
      const final = (await (await fetch(`${replicas[1]!.url}/workflows/${id}`)).json()) as { version: number; state: Record<string, unknown> };
      const marks = acked.get(id)!;
      total += marks.length;
      expect(final.version).toBe(1 + marks.length);
      expect(Object.keys(final.state).sort()).toEqual([...marks].sort());
    }
    console.log(`replicas: ${total} acknowledged writes over ${WORKFLOWS} workflows in ${Date.now() - started} ms, none lost`);
    expect(total).toBeGreaterThanOrEqual(MIN_ACKED);
  }, 30_000);
});
