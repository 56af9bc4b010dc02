/**
 * Helpers for the change-feed fault tests (test/fault, test/cluster, test/sentinel, test/deploy): a recorder that
 * drains a `watch` iterator into arrays, writers that keep updating their own workflows through a fault, and checks
 * of what the recorder got against what the writers were told.
 * Not a spec file: Jest runs only *.spec.ts.
 */
import { expect } from '@jest/globals';
import type { Redis } from 'ioredis';
import { OutcomeUnknownError, StoreUnavailableError, type WorkflowPatch, type WorkflowStore } from '#workflow-store';
import type { WatchMessage, WorkflowEvent } from '../../libs/workflow-store/src/events/workflow-event.js';
import { parseEventId, comparePositions, type EventPosition } from '../../libs/workflow-store/src/events/event-id.js';
import type { RedisKeys } from '../../libs/workflow-store/src/redis/redis-keys.js';
import { eventOfEntry, type StreamEntry } from '../../libs/workflow-store/src/redis/feed/stream-events.js';
import type { History } from '../support/history.js';

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

  /** Resolves true once, for every workflow of `finals`, the event of its final version arrived. */
  waitForFinals(finals: ReadonlyMap<string, number>, timeoutMs: number): Promise<boolean> {
    return this.waitFor((r) => [...finals].every(([id, version]) => r.events.some((e) => e.id === id && e.version === version)), timeoutMs);
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

/** How the writers of `KeyedWriters` write. */
export interface KeyedWritersOptions {
  /** The state of the `n`-th update of a workflow, operation `op` (default `{ [op]: true }`). */
  state?: (op: string, n: number) => WorkflowPatch['state'];
  /** Records every attempt (operation, mark `op`, outcome ok / unknown / fail, start and end) for the history check. */
  history?: History;
}

/**
 * One writer per workflow id, each updating its own workflow with operations `${id}.op${n}` until `stop()`; after an
 * error it waits 20 ms and sends the same operation id again (applied at most once), so every applied write is one
 * version. `writes` is what checkFeed compares the feed with; `oks` when each acknowledged update was answered.
 */
export class KeyedWriters {
  readonly writes: FeedWrite[] = [];
  readonly oks: { id: string; at: number }[] = [];
  /** Errors other than OutcomeUnknownError and StoreUnavailableError, as `name: message`. */
  readonly unexpected: string[] = [];
  unknowns = 0;
  unavailable = 0;
  private stopped = false;
  private running: Promise<void> | undefined;
  private ids: readonly string[] = [];
  /** Store calls not answered yet: workflow id → when the call started. */
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly store: WorkflowStore,
    private readonly options: KeyedWritersOptions = {},
  ) {}

  /** Creates the workflows one after another (empty state) and records each acknowledged version. */
  async create(ids: readonly string[], type: string): Promise<void> {
    for (const id of ids) this.writes.push({ id, outcome: 'ok', version: (await this.store.create({ id, type, state: {} })).version });
  }

  start(ids: readonly string[]): void {
    this.ids = ids;
    this.running = Promise.all(ids.map((id) => this.write(id))).then(() => undefined);
  }

  /**
   * Tells every writer to stop and waits until each has (an update in flight ends first). Every store call is bounded
   * by the command timeout, so one still in flight after `withinMs` is a hang: it fails naming the calls.
   */
  async stop(withinMs = 30_000): Promise<void> {
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const calls = [...this.inFlight].map(([id, since]) => `${id} (for ${Date.now() - since} ms)`);
        reject(new Error(`writers did not stop within ${withinMs} ms; store calls in flight: ${calls.join(', ') || 'none'}`));
      }, withinMs);
    });
    try {
      await Promise.race([this.running, hung]);
    } finally {
      clearTimeout(timer);
    }
  }

  get acknowledged(): number {
    return this.writes.filter((w) => w.outcome === 'ok').length;
  }

  /** Each workflow's version as the store reads it now (0 if it is gone). */
  async finals(): Promise<Map<string, number>> {
    const finals = new Map<string, number>();
    for (const id of this.ids) finals.set(id, (await this.store.get(id))?.version ?? 0);
    return finals;
  }

  private async write(id: string): Promise<void> {
    const { history, state = (op: string) => ({ [op]: true }) } = this.options;
    for (let n = 0; !this.stopped; n++) {
      const op = `${id}.op${n}`;
      while (!this.stopped) {
        const start = Date.now();
        this.inFlight.set(id, start);
        try {
          const wf = await this.store.update(id, { state: state(op, n) }, { operationId: op }).finally(() => this.inFlight.delete(id));
          history?.write({ id, op, mark: op, outcome: 'ok', version: wf.version, start, end: Date.now() });
          this.writes.push({ id, outcome: 'ok', version: wf.version });
          this.oks.push({ id, at: Date.now() });
          break;
        } catch (error) {
          const unknown = error instanceof OutcomeUnknownError;
          if (unknown) this.unknowns += 1;
          else if (error instanceof StoreUnavailableError) this.unavailable += 1;
          else this.unexpected.push(`${(error as Error).name}: ${(error as Error).message}`);
          history?.write({ id, op, mark: op, outcome: unknown ? 'unknown' : 'fail', start, end: Date.now() });
          if (unknown) this.writes.push({ id, outcome: 'unknown' });
          await sleep(20); // then the same operation id again: applied at most once
        }
      }
    }
  }
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

/** A new watch and the event ids it must yield: what the live watch delivered after the resume point. */
export interface ResumedWatch {
  recorder: FeedRecorder;
  rest: string[];
}

/**
 * A new watch of `type` on `store` (added to `recorders`, to be closed) resuming after the last of the first `seen`
 * events of `live`; waits up to `timeoutMs` until it has as many events as `live` delivered after those, then 300 ms
 * for anything more.
 */
export async function resumeWatch(store: WorkflowStore, type: string, live: FeedRecorder, seen: number, recorders: FeedRecorder[], timeoutMs: number): Promise<ResumedWatch> {
  const recorder = new FeedRecorder(await store.watch({ type }, { after: live.events[seen - 1]?.eventId }));
  recorders.push(recorder);
  const rest = live.events.slice(seen).map((e) => e.eventId);
  await recorder.waitFor((r) => r.events.length >= rest.length, timeoutMs);
  await sleep(300);
  return { recorder, rest };
}

/** Asserts that `check` found nothing wrong and, if given, that the resumed watch yielded exactly its rest. */
export function expectCleanFeed(check: FeedCheck, resumed?: ResumedWatch): void {
  expect({
    duplicates: head(check.duplicates),
    missing: head(check.missing),
    outOfOrder: head(check.outOfOrder),
    positionsBackwards: head(check.positionsBackwards),
    versionGaps: head(check.versionGaps),
  }).toEqual({ duplicates: [], missing: [], outOfOrder: [], positionsBackwards: [], versionGaps: [] });
  if (!resumed) return;
  expect(resumed.recorder.error).toBeUndefined();
  expect(resumed.recorder.resets).toEqual([]);
  expect(resumed.recorder.events.map((e) => e.eventId)).toEqual(resumed.rest);
}
