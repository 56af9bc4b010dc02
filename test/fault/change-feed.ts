/**
 * Helpers for the change-feed fault tests (test/fault, test/cluster, test/sentinel, test/deploy): a recorder that
 * drains a `watch` iterator into arrays, and checks of what it recorded against what the writers were told.
 * Not a spec file: Jest runs only *.spec.ts.
 */
import type { Redis } from 'ioredis';
import type { WatchMessage, WorkflowEvent } from '../../libs/workflow-store/src/events/workflow-event.js';
import { parseEventId, comparePositions, type EventPosition } from '../../libs/workflow-store/src/events/event-id.js';
import type { RedisKeys } from '../../libs/workflow-store/src/redis/redis-keys.js';
import { eventOfEntry, type StreamEntry } from '../../libs/workflow-store/src/redis/feed/stream-events.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Drains one watch in the background: every event and reset, in arrival order, with the time each arrived. */
export class FeedRecorder {
  readonly events: WorkflowEvent[] = [];
  readonly arrivedAt: number[] = [];
  readonly resets: string[] = [];
  /** Set when the iterator rejected (the feed could not be read and the watch ended). */
  error: unknown;
  ended = false;
  private readonly pumping: Promise<void>;

  constructor(private readonly iterator: AsyncIterableIterator<WatchMessage>) {
    this.pumping = this.pump();
  }

  /** Resolves true once `done()` holds, false after `timeoutMs` (or when the watch ended first). */
  async waitFor(done: (recorder: FeedRecorder) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this)) {
      if (this.ended || Date.now() > deadline) return done(this);
      await sleep(10);
    }
    return true;
  }

  /** Resolves true once an event of `id` at `version` (and `op`, if given) arrived. */
  waitForEvent(id: string, version: number, timeoutMs: number, op?: WorkflowEvent['op']): Promise<boolean> {
    return this.waitFor((r) => r.events.some((e) => e.id === id && e.version === version && (op === undefined || e.op === op)), timeoutMs);
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
    await this.pumping;
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const next = await this.iterator.next();
        if (next.done) break;
        const message = next.value;
        if (message.kind === 'event') {
          this.events.push(message.event);
          this.arrivedAt.push(Date.now());
        } else this.resets.push(message.reason);
      }
    } catch (error) {
      this.error = error;
    } finally {
      this.ended = true;
    }
  }
}

/** A write as a writer saw it: the workflow, the version it was told (ok) or none (unknown), and the event op. */
export interface FeedWrite {
  id: string;
  outcome: 'ok' | 'unknown';
  version?: number;
}

export interface FeedCheck {
  /** Events that repeat an (id, version, op) already delivered. */
  duplicates: string[];
  /** Acknowledged (id, version) pairs with no event. */
  missing: string[];
  /** Per workflow: versions not strictly increasing in delivery order. */
  outOfOrder: string[];
  /** Positions (event ids) not strictly increasing in delivery order. */
  positionsBackwards: string[];
  /** Per workflow: delivered versions ≠ 1..final version (every applied write, acknowledged or not, exactly once). */
  versionGaps: string[];
}

export function positionOf(event: WorkflowEvent): EventPosition {
  const position = parseEventId(event.eventId);
  if (!position) throw new Error(`malformed event id ${event.eventId}`);
  return position;
}

/**
 * Checks a feed of create/update events of workflows written by one writer each (so each version is one applied
 * write): every acknowledged write is in it exactly once; per workflow the versions are exactly 1..final (so every
 * applied write, acknowledged or of unknown outcome, has its one event and nothing else does), in order; the
 * positions strictly increase. `finals`: each workflow's version read after the run.
 */
export function checkFeed(events: readonly WorkflowEvent[], writes: readonly FeedWrite[], finals: ReadonlyMap<string, number>): FeedCheck {
  const check: FeedCheck = { duplicates: [], missing: [], outOfOrder: [], positionsBackwards: [], versionGaps: [] };
  const seen = new Set<string>();
  const versionsOf = new Map<string, number[]>();
  let previous: WorkflowEvent | undefined;
  for (const event of events) {
    const key = `${event.id}@${event.version}:${event.op}`;
    if (seen.has(key)) check.duplicates.push(`${key} (${event.eventId})`);
    seen.add(key);
    const versions = versionsOf.get(event.id) ?? [];
    const last = versions[versions.length - 1];
    if (last !== undefined && event.version <= last) check.outOfOrder.push(`${event.id}: v${event.version} after v${last}`);
    versions.push(event.version);
    versionsOf.set(event.id, versions);
    if (previous && comparePositions(positionOf(previous), positionOf(event)) >= 0) check.positionsBackwards.push(`${previous.eventId} then ${event.eventId}`);
    previous = event;
  }
  for (const write of writes) {
    if (write.outcome !== 'ok') continue;
    if (!events.some((e) => e.id === write.id && e.version === write.version)) check.missing.push(`${write.id}@${String(write.version)}`);
  }
  for (const [id, final] of finals) {
    const versions = versionsOf.get(id) ?? [];
    const expected = Array.from({ length: final }, (_, i) => i + 1);
    if (versions.join(',') !== expected.join(',')) {
      const got = versions.length > 12 ? `${versions.slice(0, 4).join(',')}…${versions.slice(-4).join(',')} (${versions.length})` : versions.join(',');
      const holes = expected.filter((v) => !versions.includes(v)).slice(0, 10);
      check.versionGaps.push(`${id}: final v${final}, feed ${got}; missing ${holes.join(',') || '-'}`);
    }
  }
  return check;
}

/** Every entry of one shard stream (XRANGE in pages), as events of `tenant`. */
export async function readStream(client: Redis, key: string, shard: number, tenant: string): Promise<WorkflowEvent[]> {
  const events: WorkflowEvent[] = [];
  let start = '-';
  for (;;) {
    const entries = (await client.xrange(key, start, '+', 'COUNT', 5000)) as StreamEntry[];
    for (const entry of entries) {
      const event = eventOfEntry(entry, shard, tenant);
      if (!event) throw new Error(`unreadable stream entry ${JSON.stringify(entry)} in ${key}`);
      events.push(event.event);
    }
    if (entries.length < 5000) return events;
    start = `(${(entries[entries.length - 1] as StreamEntry)[0]}`;
  }
}

/** Every shard stream of a layout, read directly, merged in feed order (position). */
export async function readAllStreams(client: Redis, keys: RedisKeys): Promise<WorkflowEvent[]> {
  const all: WorkflowEvent[] = [];
  for (let shard = 0; shard < keys.shards; shard++) all.push(...(await readStream(client, keys.shard(shard).events, shard, keys.tenant)));
  return all.sort((a, b) => comparePositions(positionOf(a), positionOf(b)));
}

/** `CLIENT LIST` of one node, as field maps. */
export async function clientList(command: (...args: string[]) => Promise<unknown>): Promise<Map<string, string>[]> {
  const text = String(await command('CLIENT', 'LIST'));
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => new Map(line.trim().split(' ').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)] as [string, string])));
}

/** First lines of a list for a failure message. */
export function head(list: readonly string[], n = 10): string[] {
  return list.length > n ? [...list.slice(0, n), `… ${list.length - n} more`] : [...list];
}
