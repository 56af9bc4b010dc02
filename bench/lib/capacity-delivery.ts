import type { Redis } from 'ioredis';
import { makeState } from './documents.js';
import { paced } from './paced.js';
import type { RedisProcess } from './redis-process.js';
import { redisRoundTrips } from './checkpoint-round-trips.js';
import { serverSample, serverTime, type ServerTime } from './server-time.js';
import { redisStore } from './store-factory.js';

/** Workflows the paced writer rotates over. */
const WORKFLOWS = 256;
const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface DeliveryCost {
  rate: number;
  writes: number;
  delivered: number;
  /** The watching replica's commands (XRANGE, the barrier's TIME and PING, XINFO), µs ÷ events delivered. */
  watcher: ServerTime;
  /** Redis main-thread CPU of the run with the watcher minus the same run without, ÷ events delivered. */
  cpuDeltaPerEvent: number;
  /** The writes' own EVALSHA µs ÷ writes (their XADD, SPUBLISH included). */
  writeUsecPerWrite: number;
}

/**
 * What one event delivered to a watching replica costs Redis: a writer store saves 1 KB states at `rate` a second for
 * `seconds` (rotating over 256 workflows), once with a second store instance of the same prefix watching every
 * event (`watch({})`: the replica's reader hears the shard's notice, runs its barrier and XRANGEs the stream) and once
 * without. The writer sends only EVALSHA; every other command clients sent in the watched run is the reader's (the
 * TIME its save scripts run inside Redis is taken out: counted by MONITOR on 50 saves first).
 */
export async function deliveryCost(redis: RedisProcess, stats: Redis, rate: number, seconds: number): Promise<DeliveryCost> {
  const env = { REDIS_PURGE_INTERVAL_MS: '0', LEASE_SWEEP_INTERVAL_MS: '0' };
  const writer = await redisStore(redis.url, 'capev', env);
  const reader = await redisStore(redis.url, 'capev', env);
  const state = makeState(1024);
  const save = (n: number): Promise<unknown> => writer.save(`e-${n % WORKFLOWS}`, { type: 'invoice', state });
  try {
    for (let n = 0; n < WORKFLOWS; n++) await save(n);
    const nested = (await redisRoundTrips(redis, 50, save)).inScripts.byCommand;
    // The window ends 2.5 s after the last write: the reader's slow pass and late notices deliver the rest by then.
    const run = async (): Promise<{ writes: number; cpu: number; time: ServerTime }> => {
      const pending = new Set<Promise<unknown>>();
      const before = await serverSample(stats);
      const done = await paced(rate, seconds * 1000, (n) => {
        const p = save(n).finally(() => pending.delete(p));
        pending.add(p);
      });
      await Promise.all(pending);
      await settle(2500);
      const after = await serverSample(stats);
      return { writes: done.fired, cpu: after.cpuUsec - before.cpuUsec, time: serverTime(before, after, done.fired, nested) };
    };
    await run(); // warm-up: JIT, script cache
    const alone = await run();
    let delivered = 0;
    const iterator = await reader.watch({});
    const consuming = (async () => {
      for await (const message of iterator) if (message.kind === 'event') delivered++;
    })();
    await settle(500);
    const countedFrom = delivered;
    const watched = await run();
    const got = delivered - countedFrom;
    await iterator.return?.();
    await consuming.catch(() => undefined);
    const readerCommands = Object.fromEntries(Object.entries(watched.time.byCommand).filter(([name]) => name !== 'evalsha'));
    const readerUsec = Object.values(readerCommands).reduce((sum, c) => sum + c.usec, 0);
    return {
      rate,
      writes: watched.writes,
      delivered: got,
      watcher: { commandUsec: readerUsec / got, cpuUsec: NaN, byCommand: readerCommands },
      cpuDeltaPerEvent: (watched.cpu - alone.cpu) / got,
      writeUsecPerWrite: (watched.time.byCommand.evalsha?.usec ?? NaN) / watched.writes,
    };
  } finally {
    await reader.close();
    await writer.close();
  }
}
