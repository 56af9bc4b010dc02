/**
 * Helpers of the change-feed and history suites (feed.contract.ts, history.contract.ts, feed-model.ts): the memory
 * and Redis harnesses, a watch consumer that records what it receives, event positions, unique names.
 */
import {
  createWorkflowStore,
  loadWorkflowStoreConfig,
  type ValidatingWorkflowStore,
  type WatchFilter,
  type WatchMessage,
  type WorkflowEvent,
  type WorkflowStore,
} from '#workflow-store';
import type { RedisStorageBackend } from '../../libs/workflow-store/src/redis/redis-storage.backend.js';
import { fileRedisServer, type FileRedisServer } from '../support/file-redis-server.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomPrefix } from '../support/random-ids.js';

export type FeedStore = WorkflowStore & { close(): Promise<void> };

/**
 * What the harnesses' stores logged, newest last: a watch that times out shows it, so a feed that could not read
 * (or logged a gap) says so in the failure instead of only "no message".
 */
const storeLogs: string[][] = [];
function loggedStoreLogger(): ReturnType<typeof quietLogger> {
  const logger = quietLogger();
  storeLogs.push(logger.lines);
  if (storeLogs.length > 20) storeLogs.shift();
  return logger;
}
function recentStoreLogs(limit = 20): string {
  const lines = storeLogs.flat().slice(-limit);
  return lines.length === 0 ? 'the stores logged nothing' : `the stores' last log lines: ${lines.join(' | ')}`;
}

/**
 * What a suite needs from a backend besides the public API.
 * - `makeStore(env)`: a new connected store (Redis: a key prefix of its own unless `env.REDIS_KEY_PREFIX` is given).
 * - `observeExpiries(store, ids)`: makes the store observe workflows that have expired (Redis: the sweep of the
 *   store's tenant; memory: a read of each id), so their `expired` events are recorded.
 * - `reopen(store)`: a second, fresh instance on the same data (Redis: same URL and prefix), whose change-feed
 *   reader has never run; absent on memory (its events live in the process).
 */
export interface FeedHarness {
  makeStore(env?: Record<string, string>): Promise<FeedStore>;
  observeExpiries(store: WorkflowStore, ids: readonly string[]): Promise<void>;
  reopen?(store: FeedStore): Promise<FeedStore>;
}

/** The memory backend: a new store per call; it observes an expiry when it meets the expired workflow, so a read of each id is enough. */
export function memoryFeedHarness(): FeedHarness {
  return {
    async makeStore(env = {}) {
      const store = createWorkflowStore(loadWorkflowStoreConfig(env), loggedStoreLogger());
      await store.connect();
      return store;
    },
    async observeExpiries(store, ids) {
      for (const id of ids) await store.get(id);
    },
  };
}

export interface RedisFeedHarness extends FeedHarness {
  /** The spec file's own redis-server. */
  readonly redis: FileRedisServer;
  /** A new connected store configured by exactly `env` (which `reopen` uses again). */
  open(env: Record<string, string>): Promise<FeedStore>;
  reopen(store: FeedStore): Promise<FeedStore>;
}

/**
 * Redis: a private redis-server for the spec file that calls this at its top level (fileRedisServer), a key prefix
 * of its own for every store (unless `env` names one, or the store is reopened), a 5 s command timeout, no periodic
 * sweep (expiries are observed when the test sweeps); `reopen` opens a second instance on the same URL and prefix.
 */
export function redisFeedHarness(): RedisFeedHarness {
  const redis = fileRedisServer();
  const configs = new WeakMap<FeedStore, Record<string, string>>();
  const open = async (env: Record<string, string>): Promise<FeedStore> => {
    const store = createWorkflowStore(loadWorkflowStoreConfig(env), loggedStoreLogger());
    await store.connect();
    configs.set(store, env);
    return store;
  };
  return {
    redis,
    open,
    makeStore(env = {}) {
      return open({ USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: randomPrefix(), REDIS_COMMAND_TIMEOUT_MS: '5000', REDIS_PURGE_INTERVAL_MS: '0', ...env });
    },
    async observeExpiries(store) {
      await ((store as ValidatingWorkflowStore).backend as RedisStorageBackend).purgeExpired();
    },
    reopen(store) {
      const env = configs.get(store);
      if (!env) throw new Error('reopen: not a store of this harness');
      return open(env);
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

let sequence = 0;
/** An id or label nobody else uses: `label-<time><random><seq>` (safe charset, well under 64 characters). */
export function uniq(label: string): string {
  sequence += 1;
  const random = Math.floor(Math.random() * 36 ** 5).toString(36);
  return `${label}-${Date.now().toString(36)}${random}${sequence.toString(36)}`;
}

/** A tenant nobody else uses (1-32 characters of A-Za-z0-9_.-). */
export function freshTenant(label = 'f'): string {
  sequence += 1;
  const random = Math.floor(Math.random() * 36 ** 5).toString(36);
  return `${label}${Date.now().toString(36)}${random}${sequence.toString(36)}`.slice(0, 32);
}

export interface Position {
  ms: number;
  seq: number;
  shard: number;
}

const EVENT_ID = /^(\d+)-(\d+)-(\d+)$/;

export function positionOf(eventId: string): Position {
  const match = EVENT_ID.exec(eventId);
  if (!match) throw new Error(`not an event id: ${eventId}`);
  return { ms: Number(match[1]), seq: Number(match[2]), shard: Number(match[3]) };
}

/** Feed order: ms, then seq, then shard, each numerically. */
export function compareEventIds(a: string, b: string): number {
  const p = positionOf(a);
  const q = positionOf(b);
  return p.ms - q.ms || p.seq - q.seq || p.shard - q.shard;
}

export function matchesFilter(event: WorkflowEvent, filter: WatchFilter): boolean {
  return (
    (filter.id === undefined || event.id === filter.id) &&
    (filter.type === undefined || event.type === filter.type) &&
    (filter.status === undefined || event.status === filter.status)
  );
}

/** The short form the suites compare sequences with: `op id vN type/status`. */
export function brief(event: WorkflowEvent): string {
  return `${event.op} ${event.id} v${event.version} ${event.type}/${event.status}`;
}

export function messageText(message: WatchMessage): string {
  return message.kind === 'reset' ? `reset(${message.reason})` : brief(message.event);
}

/** The rejection of `promise`; throws if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`expected a rejection, but it resolved with ${safeJson(value)}`);
}

/** Asserts that `promise` rejects with an instance of `type`, and returns that error. */
export async function rejectsWith<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E, what = ''): Promise<E> {
  const error = await rejection(promise);
  if (!(error instanceof type)) {
    throw new Error(`${what ? `${what}: ` : ''}expected ${type.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
  return error;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/**
 * Consumes a watch iterator as fast as it yields and records every message, so tests can wait for what they expect
 * and then compare the whole sequence. `ended` is set when the iterator returns; `failure` when `next` rejected.
 */
export class Collector {
  readonly messages: WatchMessage[] = [];
  ended = false;
  failure: unknown;
  private wake: (() => void) | undefined;

  constructor(
    readonly iterator: AsyncIterableIterator<WatchMessage>,
    readonly label = 'watch',
  ) {
    void this.pump();
  }

  static async open(store: WorkflowStore, filter: WatchFilter = {}, after?: string, label?: string): Promise<Collector> {
    const iterator = await store.watch(filter, after === undefined ? {} : { after });
    return new Collector(iterator, label ?? `watch(${JSON.stringify(filter)}${after === undefined ? '' : `, after ${after}`})`);
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const result = await this.iterator.next();
        if (result.done) break;
        this.messages.push(result.value);
        this.notify();
      }
    } catch (error) {
      this.failure = error;
    }
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  get events(): WorkflowEvent[] {
    return this.messages.flatMap((message) => (message.kind === 'event' ? [message.event] : []));
  }

  /** Waits until `done()` holds (checked on every message), failing after `timeoutMs` with what was received. */
  async until(done: (messages: readonly WatchMessage[]) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.messages)) {
      if (this.failure !== undefined) throw new Error(`${this.label}: failed while waiting for ${what}: ${String(this.failure)}`);
      if (this.ended) throw new Error(`${this.label}: ended while waiting for ${what}; got ${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.label}: no ${what} within ${timeoutMs} ms; got ${this.describe()}; ${recentStoreLogs()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Waits for an event of workflow `id` (optionally with `op`). */
  untilEventOf(id: string, op?: WorkflowEvent['op'], timeoutMs?: number): Promise<void> {
    return this.until((messages) => messages.some((m) => m.kind === 'event' && m.event.id === id && (op === undefined || m.event.op === op)), `an event of ${id}${op ? ` (${op})` : ''}`, timeoutMs);
  }

  /** Waits until at least `count` messages arrived. */
  untilCount(count: number, timeoutMs?: number): Promise<void> {
    return this.until((messages) => messages.length >= count, `${count} messages`, timeoutMs);
  }

  describe(limit = 60): string {
    const texts = this.messages.map(messageText);
    const shown = texts.length > limit ? [...texts.slice(0, limit / 2), `… ${texts.length - limit} more …`, ...texts.slice(-limit / 2)] : texts;
    return `[${shown.join(', ')}] (${texts.length} messages${this.ended ? ', ended' : ''})`;
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}

/** Throws unless the events' ids are unique and strictly increasing in feed order. */
export function expectFeedOrder(what: string, events: readonly WorkflowEvent[]): void {
  const seen = new Set<string>();
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as WorkflowEvent;
    if (seen.has(event.eventId)) throw new Error(`${what}: event ${event.eventId} (${brief(event)}) delivered twice`);
    seen.add(event.eventId);
    const previous = events[i - 1];
    if (previous && compareEventIds(previous.eventId, event.eventId) >= 0) {
      throw new Error(`${what}: ${event.eventId} (${brief(event)}) after ${previous.eventId} (${brief(previous)}): not in feed order`);
    }
  }
}
