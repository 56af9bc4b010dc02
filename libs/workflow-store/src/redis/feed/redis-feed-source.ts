import { comparePositions, type EventPosition } from '../../events/event-id.js';
import type { FeedSource, PositionedEvent } from '../../events/feed-source.js';
import type { StoreLogger } from '../../shared/store-logger.js';
import type { RedisKeys } from '../redis-keys.js';
import type { StoreRedisClient } from '../redis-client.types.js';
import type { NoticeHub, NoticeListener } from './notice-hub.js';
import { readShardRange, readShardTail, streamTrimmedAfter } from './shard-stream-reads.js';
import { mapRedisError } from '../redis-errors.js';

/** Shards the slow catch-up pass reads per round (a safety net for notices a topology change may have dropped). */
const CATCH_UP_SHARDS = 1024;
/**
 * Shards a resume reads at once: a tenant-wide resume at REDIS_SHARDS=16384 is an XINFO and an XRANGE per shard, and
 * sent all at once they queued long enough behind each other to time out (seen on a 20-master Cluster).
 */
const RESUME_SHARDS_AT_ONCE = 512;
const CATCH_UP_INTERVAL_MS = 2000;
/** After a failed round (Redis unreachable), the next one waits this long. */
const RETRY_MS = 500;
/** How long following waits for every node's clock to pass the start (Cluster nodes' clocks may differ slightly). */
const CLOCK_WAIT_MS = 2000;

export interface RedisFeedConfig {
  client: StoreRedisClient;
  keys: RedisKeys;
  tenant: string;
  retentionMs: number;
  notices: NoticeHub;
  logger: StoreLogger;
}

/**
 * One tenant's change feed read from Redis: the streams of its shards, read only when their notice channel rings
 * (plus a slow catch-up pass), and delivered in position order up to a watermark.
 *
 * The watermark W is the lowest clock among the nodes holding the tenant's shards, each taken with the notice
 * barrier (NoticeHub.barrier): after it, every event with a time below W is in a stream whose shard rang (or is
 * being caught up), so once those shards are read, the events below W can be delivered in order and no event below
 * W can appear later. Events at W or after wait for the next round.
 */
export class RedisFeedSource implements FeedSource, NoticeListener {
  private readonly channels: string[];
  private readonly shardOfChannel = new Map<string, number>();
  /** Per shard: where the next XRANGE starts (an inclusive id, or "(id" after the last entry read). */
  private readonly from: string[];
  private readonly dirty = new Set<number>();
  private pending: PositionedEvent[] = [];
  private deliver: ((events: PositionedEvent[]) => void) | undefined;
  private watermark = 0;
  private running = false;
  private again = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private catchUpTimer: NodeJS.Timeout | undefined;
  private catchUpCursor = 0;
  private failing = false;
  /** Set while `follow` subscribes and finds its start: notices are recorded, not yet read. */
  private starting = false;
  private stopped = false;
  /** The nodes holding this tenant's shards (one unless Cluster), recomputed when the topology changes (`lost`). */
  private nodes: string[] = [];

  constructor(private readonly config: RedisFeedConfig) {
    const { keys } = config;
    this.channels = Array.from({ length: keys.shards }, (_, shard) => keys.shard(shard).notice);
    this.channels.forEach((channel, shard) => this.shardOfChannel.set(channel, shard));
    this.from = new Array<string>(keys.shards).fill('-');
  }

  async follow(deliver: (events: PositionedEvent[]) => void): Promise<EventPosition> {
    const { notices } = this.config;
    // Notices that ring while following starts are kept: their events may lie after the start position.
    this.starting = true;
    this.stopped = false;
    await notices.add(this.channels, this);
    try {
      this.nodes = [...notices.nodesOf(this.channels)];
      const start = Math.max(...(await Promise.all(this.nodes.map((node) => notices.barrier(node)))));
      await this.waitForClocksPast(this.nodes, start);
      // Stopped (the store closed) while starting: arm nothing.
      if (this.stopped) throw new Error('the change feed was stopped while it started');
      // Live delivery starts with the next millisecond; everything up to `start` is the past (readRange).
      this.from.fill(`${start + 1}-0`);
      this.watermark = start + 1;
      this.deliver = deliver;
      this.catchUpTimer = setInterval(() => this.catchUp(), CATCH_UP_INTERVAL_MS);
      this.catchUpTimer.unref();
      if (this.dirty.size > 0) this.round();
      return { ms: start, seq: Number.MAX_SAFE_INTEGER, shard: Number.MAX_SAFE_INTEGER };
    } catch (error) {
      notices.remove(this.channels);
      this.dirty.clear();
      throw error;
    } finally {
      this.starting = false;
    }
  }

  stop(): void {
    this.stopped = true;
    this.deliver = undefined;
    this.config.notices.remove(this.channels);
    clearInterval(this.catchUpTimer);
    clearTimeout(this.retryTimer);
    this.pending = [];
    this.dirty.clear();
  }

  notice(channel: string): void {
    const shard = this.shardOfChannel.get(channel);
    if (shard === undefined || !(this.deliver || this.starting)) return;
    this.dirty.add(shard);
    if (this.deliver) this.round();
  }

  lost(node: string): void {
    if (!this.deliver) return;
    this.nodes = [...this.config.notices.nodesOf(this.channels)];
    this.channels.forEach((channel, shard) => {
      if (this.config.notices.nodeOf(channel) === node) this.dirty.add(shard);
    });
    this.round();
  }

  /** The tenant's events in (after, upTo], from every shard's stream; a failure is a typed error (the watch fails with it). */
  async readRange(after: EventPosition, upTo: EventPosition): Promise<PositionedEvent[] | 'trimmed'> {
    const { client, keys, tenant, retentionMs } = this.config;
    try {
      if (after.ms < (await this.now()) - retentionMs) return 'trimmed';
      const shards = Array.from({ length: keys.shards }, (_, shard) => shard);
      const trimmed = await inBatches(shards, (shard) => streamTrimmedAfter(client, keys.shard(shard).events, after, shard));
      if (trimmed.includes(true)) return 'trimmed';
      const perShard = await inBatches(shards, (shard) => readShardRange(client, keys.shard(shard).events, shard, tenant, after, upTo));
      return perShard.flat().sort((a, b) => comparePositions(a.position, b.position));
    } catch (error) {
      throw mapRedisError(error, 'watch (reading the feed since the resume point)', false);
    }
  }

  async now(): Promise<number> {
    const [seconds, micros] = await this.config.client.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** Runs rounds until nothing is left to read or hold; one at a time. */
  private round(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.retryTimer) return; // a failed round is waiting to retry
    this.running = true;
    void this.rounds().finally(() => (this.running = false));
  }

  private async rounds(): Promise<void> {
    do {
      this.again = false;
      if (!this.deliver) return;
      try {
        await this.readOnce();
        if (this.failing) this.config.logger.log(`change feed of tenant ${this.config.tenant} reading again`);
        this.failing = false;
      } catch (error) {
        // Stopped while this round was in flight (the store closed): nothing is to be retried.
        if (!this.deliver) return;
        if (!this.failing) this.config.logger.warn(`change feed of tenant ${this.config.tenant} cannot read Redis: ${(error as Error).message}; retrying`);
        this.failing = true;
        // Whatever rang may not have been read: read every shard once Redis answers again.
        for (let shard = 0; shard < this.config.keys.shards; shard++) this.dirty.add(shard);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.round();
        }, RETRY_MS);
        this.retryTimer.unref();
        return;
      }
      // Events at the watermark or after wait for the clock to move on.
      if (this.pending.length > 0 && !this.again) await new Promise((resolve) => setTimeout(resolve, 1));
    } while (this.again || this.pending.length > 0);
  }

  /** One round: barrier on every node, read the shards that rang, deliver what lies below the new watermark. */
  private async readOnce(): Promise<void> {
    const { notices, client, keys, tenant } = this.config;
    const clocks = await Promise.all(this.nodes.map((node) => notices.barrier(node)));
    // Notices that arrive after the barrier are of events at or after its clock: the next round reads them.
    const shards = [...this.dirty];
    this.dirty.clear();
    let unfinished = false;
    try {
      const tails = await Promise.all(shards.map((shard) => readShardTail(client, keys.shard(shard).events, shard, tenant, this.from[shard] as string)));
      tails.forEach((tail, i) => {
        const shard = shards[i] as number;
        if (tail.last) this.from[shard] = `(${tail.last}`;
        if (tail.more) {
          unfinished = true;
          this.dirty.add(shard);
        }
        this.pending.push(...tail.events);
      });
    } catch (error) {
      for (const shard of shards) this.dirty.add(shard);
      throw error;
    }
    // A shard with more to read may still hold events below the clocks: the watermark waits for it.
    const watermark = Math.min(...clocks);
    if (unfinished) this.again = true;
    else if (watermark > this.watermark) this.watermark = watermark;
    this.flush();
  }

  /** Delivers pending events below the watermark, in position order. */
  private flush(): void {
    if (this.pending.length === 0) return;
    this.pending.sort((a, b) => comparePositions(a.position, b.position));
    let ready = 0;
    while (ready < this.pending.length && (this.pending[ready] as PositionedEvent).position.ms < this.watermark) ready++;
    if (ready === 0) return;
    const events = this.pending.slice(0, ready);
    this.pending = this.pending.slice(ready);
    this.deliver?.(events);
  }

  /** The slow pass: a slice of the shards is read every few seconds whatever rang. */
  private catchUp(): void {
    const shards = this.config.keys.shards;
    for (let i = 0; i < Math.min(CATCH_UP_SHARDS, shards); i++) {
      this.dirty.add(this.catchUpCursor);
      this.catchUpCursor = (this.catchUpCursor + 1) % shards;
    }
    this.round();
  }

  private async waitForClocksPast(nodes: string[], start: number): Promise<void> {
    const deadline = Date.now() + CLOCK_WAIT_MS;
    for (;;) {
      const clocks = await Promise.all(nodes.map((node) => this.config.notices.barrier(node)));
      if (Math.min(...clocks) > start) return;
      if (Date.now() > deadline) {
        this.config.logger.warn(`change feed: Redis node clocks differ by more than ${CLOCK_WAIT_MS} ms; order across shards may not hold`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}

/** `read` of every shard, RESUME_SHARDS_AT_ONCE at a time, results in shard order. */
async function inBatches<T>(shards: number[], read: (shard: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let from = 0; from < shards.length; from += RESUME_SHARDS_AT_ONCE) {
    results.push(...(await Promise.all(shards.slice(from, from + RESUME_SHARDS_AT_ONCE).map(read))));
  }
  return results;
}
