/**
 * T12 (RELIABILITY.md): SIGTERM to the API under load. To be sure requests are in flight when the signal lands,
 * Redis holds writes for 600 ms (CLIENT PAUSE WRITE) and SIGTERM is sent 200 ms into that: every client then has
 * a request inside the API. Pass: every request sent before SIGTERM is answered 2xx, the process exits 0 within
 * 10 s, its connection leaves with QUIT and is gone from CLIENT LIST; H1–H4, no key without a TTL.
 * (test/e2e/workflows.e2e-spec.ts has the basic drain; this one proves no in-flight request fails.)
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { ApiProcess } from '../support/api-process.js';
import { createEmpty, finalStates, tally } from '../support/advance-workload.js';
import { History, type Outcome } from '../support/history.js';
import { keysWithoutTtl } from '../support/key-ttl.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { timedFetch, versionOf, type Answer } from '../support/timed-fetch.js';

const CLIENTS = 8;
const EXIT_BOUND_MS = 10_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function quitCalls(commandstats: string): number {
  return Number(/^cmdstat_quit:calls=(\d+)/m.exec(commandstats)?.[1] ?? 0);
}

describe('T12 SIGTERM under load', () => {
  let redis: RedisServer | undefined;
  let api: ApiProcess | undefined;
  let client: Redis | undefined;
  afterAll(async () => {
    client?.disconnect();
    await api?.stop('SIGKILL');
    await redis?.stop();
  });

  it('finishes every in-flight request, quits Redis and exits 0', async () => {
    redis = await RedisServer.start();
    const prefix = randomPrefix();
    api = await ApiProcess.start({ USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, WORKFLOW_STATE_TTL: '600' });
    client = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true });
    await client.connect();
    const ids = Array.from({ length: CLIENTS }, () => randomId('t12'));
    for (const id of ids) await createEmpty(api.url, id);
    const quitsBefore = quitCalls(await client.info('commandstats'));

    const history = new History();
    const answers: Answer[] = [];
    let sigtermAt = Infinity;
    const load = ids.map(async (id) => {
      for (let n = 0; ; n++) {
        const op = `${id}.op${n}`;
        const answer = await timedFetch(api!.url, `/workflows/${id}`, {
          method: 'PATCH',
          headers: { 'content-type': 'application/merge-patch+json', 'idempotency-key': op },
          body: JSON.stringify({ state: { [op]: n } }),
        });
        answers.push(answer);
        const ok = answer.status >= 200 && answer.status < 300;
        // After SIGTERM a refused connection or a 503 may mean the request never reached the store: unknown.
        const outcome: Outcome = ok ? 'ok' : 'unknown';
        history.write({ id, op, mark: op, outcome, version: versionOf(answer.etag), start: answer.start, end: answer.end });
        if (!ok) return;
      }
    });

    await sleep(500);
    await client.call('CLIENT', 'PAUSE', 600, 'WRITE');
    await sleep(200);
    sigtermAt = Date.now();
    const exited = api.stop('SIGTERM');
    const code = await exited;
    const exitMs = Date.now() - sigtermAt;
    await Promise.all(load);

    // Requests sent at least 50 ms before the signal had reached the API; each client had one held by the pause.
    const inFlight = answers.filter((a) => a.start < sigtermAt - 50 && a.end > sigtermAt);
    const sentBefore = answers.filter((a) => a.start < sigtermAt - 50);
    const after = answers.filter((a) => a.start >= sigtermAt - 50);
    const clients = String(await client.call('CLIENT', 'LIST'));
    const quits = quitCalls(await client.info('commandstats')) - quitsBefore;
    const summary = history.check(await finalStatesFrom(client, prefix, ids), 1);
    const untimed = await keysWithoutTtl(client, prefix);

    console.log(
      `T12 SIGTERM: exit ${code} after ${exitMs} ms; ${inFlight.length} requests in flight at SIGTERM ` +
        `${JSON.stringify(tally(inFlight))}; ${sentBefore.length} sent before, failed ${sentBefore.filter((a) => a.status < 200 || a.status >= 300).length}; ` +
        `after SIGTERM ${JSON.stringify(tally(after))}; QUIT sent ${quits}; ${summary.acknowledged} acknowledged, lost ${summary.lost}`,
    );

    expect(inFlight.length).toBeGreaterThanOrEqual(CLIENTS / 2);
    expect(sentBefore.filter((a) => a.status < 200 || a.status >= 300)).toEqual([]);
    expect(after.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
    expect(code).toBe(0);
    expect(exitMs).toBeLessThanOrEqual(EXIT_BOUND_MS);
    expect(quits).toBeGreaterThanOrEqual(1);
    expect(clients).not.toContain('name=workflow-store');
    expect(summary.violations).toEqual([]);
    expect(untimed).toEqual([]);
  }, 60_000);
});

/** The API under test is gone, so the final states are read through a fresh API process on the same Redis. */
async function finalStatesFrom(client: Redis, prefix: string, ids: string[]): Promise<Awaited<ReturnType<typeof finalStates>>> {
  const port = (client.options.port ?? 6379).toString();
  const reader = await ApiProcess.start({ USE_REDIS: 'true', REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: prefix });
  try {
    return await finalStates(reader.url, ids);
  } finally {
    await reader.stop('SIGKILL');
  }
}
