import type { StoreLogger } from '../shared/store-logger.js';

/** Shard sweeps one tick runs (over all tenants, resuming where the last tick stopped). */
export const SHARD_SWEEPS_PER_TICK = 1024;

export interface TenantSweepTarget {
  shards: number;
  /** Every tenant with data (the format record's fields). */
  tenants(): Promise<string[]>;
  /** Sweeps one shard of one tenant; returns how many entries it handled. */
  sweepShard(tenant: string, shard: number): Promise<number>;
}

/**
 * A periodic sweep over every tenant's shards — so also tenants this process never served — at most
 * SHARD_SWEEPS_PER_TICK shards a tick, resuming where the last tick stopped. A tick never overlaps the previous
 * one, and a failing sweep is logged once until it works again (not once a tick).
 */
export class TenantSweep {
  private timer: NodeJS.Timeout | undefined;
  private cursor = { tenant: 0, shard: 0 };
  private running = false;
  private failing = false;
  private stopped = false;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly name: string,
    private readonly logger: StoreLogger,
    private readonly target: TenantSweepTarget,
  ) {}

  /** Ticks every `intervalMs` (0: never). */
  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => void this.quietTick(), intervalMs);
    this.timer.unref();
  }

  /**
   * Stops ticking; resolves once a tick in flight has ended (it stops after the shard it is sweeping), so the
   * connection is not closed under it: a sweep cut off by close() would log a failure that is none.
   */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    return this.inFlight ?? Promise.resolve();
  }

  async tick(): Promise<number> {
    const tenants = (await this.target.tenants()).sort();
    const { shards } = this.target;
    const cursor = this.cursor;
    let handled = 0;
    const budget = Math.min(SHARD_SWEEPS_PER_TICK, tenants.length * shards);
    for (let done = 0; done < budget && !this.stopped; done++) {
      if (cursor.tenant >= tenants.length) Object.assign(cursor, { tenant: 0, shard: 0 });
      handled += await this.target.sweepShard(tenants[cursor.tenant] as string, cursor.shard);
      cursor.shard += 1;
      if (cursor.shard >= shards) Object.assign(cursor, { tenant: cursor.tenant + 1, shard: 0 });
    }
    return handled;
  }

  private quietTick(): Promise<void> {
    if (this.running || this.stopped) return Promise.resolve();
    this.running = true;
    this.inFlight = this.loggedTick().finally(() => {
      this.running = false;
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async loggedTick(): Promise<void> {
    try {
      await this.tick();
      if (this.failing) this.logger.log(`${this.name} runs again`);
      this.failing = false;
    } catch (error) {
      if (!this.failing && !this.stopped) this.logger.warn(`${this.name} skipped: ${(error as Error).message}`);
      this.failing = true;
    }
  }
}
