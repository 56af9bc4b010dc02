/**
 * T9 (RELIABILITY.md): Redis restarts with a large AOF (1 M keys from DEBUG POPULATE, in another database) and
 * answers LOADING until it has read it. The API must say 503 and "not ready" meanwhile, never 500 and never leak
 * LOADING, and be ready soon after the load ends; H1–H4 over writers that keep retrying throughout.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { ApiProcess } from '../support/api-process.js';
import { advanceLoop, createEmpty, during, finalStates, firstAfter, probeLoop, tally } from '../support/advance-workload.js';
import { History, percentile } from '../support/history.js';
import { keysWithoutTtlAt } from '../support/key-ttl.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import type { Answer } from '../support/timed-fetch.js';

const FILLER_KEYS = 1_000_000;
const WRITERS = 2;
/** REDIS_COMMAND_TIMEOUT_MS (default 1000) + 500 ms, the README's bound (a reconnect storm in CI answered one GET after 1 327 ms: the API's event loop runs late on a busy 2-core machine). */
const ANSWER_BOUND_MS = 1500;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function infoField(client: Redis, field: string): Promise<string | undefined> {
  return new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(await client.info('persistence'))?.[1];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Time of the last redis.log line containing `text` (lines look like `pid:M 23 Nov 2026 08:33:51.806 * text`; UTC here). */
function lastLogTime(logPath: string, text: string): number {
  const line = readFileSync(logPath, 'utf8').split('\n').filter((l) => l.includes(text)).at(-1) ?? '';
  const m = / (\d+) (\w{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2})\.(\d{3}) /.exec(line);
  if (!m) throw new Error(`no "${text}" line in ${logPath}`);
  const offsetMs = new Date().getTimezoneOffset() * 60_000;
  return Date.UTC(Number(m[3]), MONTHS.indexOf(m[2] as string), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7])) + offsetMs;
}

describe('T9 restart with a large AOF (LOADING)', () => {
  let redis: RedisServer | undefined;
  let api: ApiProcess | undefined;
  /** The writers and the prober: stopped here also when the test failed half-way (they would loop for ever). */
  const loops: Promise<void>[] = [];
  let stop = false;
  let halt = false;
  afterAll(async () => {
    stop = halt = true;
    await Promise.allSettled(loops);
    await api?.stop('SIGKILL');
    await redis?.stop();
  });

  it('answers 503 and is not ready while Redis loads, never 500', async () => {
    // A plain-command AOF (no RDB preamble) loads slowly enough for the API to reconnect while Redis is LOADING.
    redis = await RedisServer.start({ args: ['--aof-use-rdb-preamble', 'no'] });
    const prefix = randomPrefix();
    api = await ApiProcess.start({ USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, WORKFLOW_STATE_TTL: '600' });
    const ids = Array.from({ length: WRITERS }, () => randomId('t9'));
    for (const id of ids) await createEmpty(api.url, id);

    // Filler in database 1, written to the AOF by a rewrite (DEBUG POPULATE itself is not logged).
    const filler = new Redis({ port: redis.port, host: '127.0.0.1', db: 1, lazyConnect: true });
    try {
      await filler.connect();
      await filler.call('DEBUG', 'POPULATE', FILLER_KEYS, 'pad', 32);
      await filler.bgrewriteaof();
      const deadline = Date.now() + 30_000;
      while ((await infoField(filler, 'aof_rewrite_in_progress')) !== '0' || (await infoField(filler, 'aof_rewrite_scheduled')) !== '0') {
        if (Date.now() > deadline) throw new Error('AOF rewrite did not finish in 30 s');
        await sleep(100);
      }
    } finally {
      filler.disconnect();
    }

    const history = new History();
    const answers: Answer[] = [];
    const probes: Answer[] = [];
    const writers = ids.map((id, i) => advanceLoop({ bases: [api!.url], id, history, answers, stop: () => stop, halt: () => halt, mode: i === 0 ? 'patch' : 'put' }));
    const prober = probeLoop(api.url, '/health/ready', probes, () => stop);
    loops.push(...writers, prober);
    await sleep(500);
    await redis.kill9();
    const restartAt = Date.now();
    await redis.restart(); // resolves when PING answers, i.e. once the AOF is loaded
    // When Redis itself finished loading (the helper's PING poll notices a little later).
    const loadedAt = lastLogTime(redis.logPath, 'Ready to accept connections');
    await sleep(2000);
    stop = true;
    await Promise.all([...writers, prober]);

    const all = [...answers, ...probes];
    const loading = during(all, restartAt, loadedAt);
    const loadingMs = loading.map((a) => a.ms);
    // "connect" = ioredis is connected and its ready check is waiting for the load to end.
    const reasons = tally(probes.filter((a) => a.start > restartAt && a.end < loadedAt).map((a) => ({ ...a, problem: /connection is (\w+)|within \d+ ms/.exec(JSON.stringify(a.body))?.[0] })));
    const readyAt = firstAfter(probes, restartAt, (a) => a.status === 200) ?? Infinity;
    const firstOk = firstAfter(answers, restartAt, (a) => a.status >= 200 && a.status < 300) ?? Infinity;
    const finals = await finalStates(api.url, ids);
    const summary = history.check(finals, 1);
    const untimed = await keysWithoutTtlAt(redis.port, prefix);

    console.log(
      `T9 LOADING: load of ${FILLER_KEYS} keys took ${loadedAt - restartAt} ms; ${loading.length} answers meanwhile ` +
        `max ${Math.max(...loadingMs)} ms p99 ${percentile(loadingMs, 99)} ms ${JSON.stringify(tally(loading))}; ` +
        `readiness while loading ${JSON.stringify(reasons)}; ready ${readyAt - loadedAt} ms and first 2xx ${firstOk - loadedAt} ms after the load; ` +
        `${summary.acknowledged} acknowledged, lost ${summary.lost}, duplicates ${summary.duplicates}`,
    );

    // Something was asked while Redis was loading, and every answer was a fast 503 (or a 2xx from before the kill).
    expect(loading.filter((a) => a.start > restartAt + 100).length).toBeGreaterThan(5);
    expect(loading.filter((a) => a.start > restartAt && a.end < loadedAt && a.status !== 503)).toEqual([]);
    expect(loading.filter((a) => a.ms > ANSWER_BOUND_MS || a.status === 0)).toEqual([]);
    expect(all.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
    expect(all.filter((a) => a.status >= 400 && JSON.stringify(a.body ?? '').includes('LOADING'))).toEqual([]);
    expect(readyAt).toBeGreaterThanOrEqual(loadedAt - 100);
    expect(readyAt - loadedAt).toBeLessThanOrEqual(2000);
    expect(firstOk - loadedAt).toBeLessThanOrEqual(2000);
    expect(summary.violations).toEqual([]);
    expect(untimed).toEqual([]);
  }, 90_000);
});
