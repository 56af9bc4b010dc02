import type { WriteLog } from './delivery-log.js';
import { paced, type PacedRun } from './paced.js';
import { writeKey, type WritePool } from './write-pool.js';

/**
 * A write of one workflow: resolves with the version it produced, undefined when it was refused. `expected` is the
 * version it should produce (a stand-in writer, e.g. a baseline that only publishes, reports it as produced).
 */
export type VersionedWrite = (id: string, expected: number) => Promise<number | undefined>;

export interface PacedWrites extends PacedRun {
  /** Writes not sent because every workflow of the pool had one in flight. */
  starved: number;
  /** Writes that produced another version than the one expected (their events cannot be matched). */
  unexpected: number;
}

/**
 * `rate` writes a second for `warmupS + durationS` seconds, each to an idle workflow of `pool`, logged in `log`
 * (sent just before the call, answered when it settles; only those after the warm-up are measured). Resolves once
 * every write has settled.
 */
export async function pacedWrites(pool: WritePool, log: WriteLog, rate: number, warmupS: number, durationS: number, write: VersionedWrite): Promise<PacedWrites> {
  const warmup = rate * warmupS;
  const inFlight = new Set<Promise<void>>();
  const starvedBefore = pool.starved;
  let unexpected = 0;
  const run = await paced(rate, (warmupS + durationS) * 1000, (n) => {
    const next = pool.take();
    if (!next) return;
    const key = writeKey(next.id, next.version);
    log.sent(key, n >= warmup);
    const settled = write(next.id, next.version).then(
      (version) => {
        if (version !== undefined && version !== next.version) unexpected++;
        log.answered(key, version === next.version);
        pool.done(next.id, version);
      },
      () => {
        log.answered(key, false);
        pool.done(next.id, undefined);
      },
    );
    inFlight.add(settled);
    void settled.then(() => inFlight.delete(settled));
  });
  await Promise.all(inFlight);
  return { ...run, starved: pool.starved - starvedBefore, unexpected };
}
