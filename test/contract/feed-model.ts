/**
 * Model-based (fast-check) suite of the change feed and the bounded history, run against each backend.
 *
 * Each run works in a tenant of its own with a "main" watch opened before anything is written. Commands interleave
 * writes on a few ids (keyed or not; some sent concurrently on distinct ids, some racing on one id), retries of
 * keyed writes (replays, answered from the history when it still holds the version they produced), restores (with
 * and without history, some expiring within ~60 ms), sleeps that let those expire and make the store observe it,
 * watches opened and closed (live, or resuming after an event taken from what the main watch delivered, filtered or
 * not; on Redis also on a second store instance whose reader never ran), and history reads.
 *
 * Checked: every write's result and error against the model; the main watch delivers, per workflow, exactly the
 * successful writes and observed expiries in order (op, version, labels), each once, all in strictly increasing feed
 * order; every other watch delivers exactly the main watch's events after its start (its resume point, or for a
 * live one the moment it opened) that match its filter; `history` and `getVersion` agree with a model of the kept
 * versions (each write keeps the record it replaces, at most WORKFLOW_HISTORY_VERSIONS; touch keeps none; a new life
 * starts without history; restore sets the given one within the bound).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  AlreadyExistsError,
  DEFAULT_STATUS,
  NotFoundError,
  VersionConflictError,
  VersionNotKeptError,
  replayOf,
  type JsonObject,
  type ReplayInfo,
  type WatchFilter,
  type Workflow,
  type WorkflowEvent,
  type WorkflowStore,
} from '#workflow-store';
import { mergePatch } from '../support/merge-patch-oracle.js';
import {
  Collector,
  brief,
  compareEventIds,
  expectFeedOrder,
  freshTenant,
  matchesFilter,
  sleep,
  type FeedHarness,
  type FeedStore,
} from './feed-support.js';

const IDS = ['w0', 'w1', 'w2', 'w3', 'w4'];
const TYPES = ['ta', 'tb'];
const STATUSES = ['s1', 's2'];
const STATES: JsonObject[] = [{}, { n: 1 }, { n: 2, tags: ['a'] }, { nested: { x: true } }];
const PATCHES: JsonObject[] = [{ n: 3 }, { n: null }, { nested: { y: 1 } }];
const MAX_OPEN_WATCHES = 6;
/** How long an "expire soon" restore lets its workflow live. */
const EXPIRE_SOON_MS = 60;

const coverage = new Map<string, number>();
function covered(what: string): void {
  coverage.set(what, (coverage.get(what) ?? 0) + 1);
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

// ---------------------------------------------------------------------------------------------------------------
// The model.

interface Live {
  /** The record as stored now. */
  wf: Workflow;
  /** Earlier versions kept, newest first, each as it was stored when replaced. */
  kept: Workflow[];
  /** Restored to expire within EXPIRE_SOON_MS: writes leave it alone until a sleep lets it expire. */
  doomed: boolean;
}

/** What the feed must deliver for one successful write or observed expiry. */
interface Logged {
  id: string;
  text: string;
}

interface Remembered {
  outcome: ReplayInfo['outcome'];
  version: number;
  createdAt: string;
}

type Request =
  | { kind: 'create'; id: string; key?: string; type: string; status?: string; state: JsonObject }
  | { kind: 'save'; id: string; key?: string; type?: string; status?: string; state: JsonObject; ttl?: number; expectedVersion?: number }
  | { kind: 'update'; id: string; key?: string; type?: string; status?: string; patch?: JsonObject; expectedVersion?: number }
  | { kind: 'mutate'; id: string; key?: string; status: string; add: JsonObject }
  | { kind: 'delete'; id: string; key?: string; expectedVersion?: number }
  | { kind: 'touch'; id: string; key?: string; ttl?: number };

interface OpenWatch {
  no: number;
  collector: Collector;
  filter: WatchFilter;
  /** Resume point, or undefined for a live watch (then `startIndex`: the main watch's length when it opened). */
  after?: string;
  startIndex: number;
  cold: boolean;
}

interface Model {
  keep: number;
  live: Map<string, Live>;
  log: Logged[];
  /** key -> what its (successful) write did. */
  keys: Map<string, Remembered>;
  /** Keyed requests sent, for retries. */
  sent: Request[];
  keySequence: number;
  watches: OpenWatch[];
  watchSequence: number;
  defaultType?: string;
}

interface Real {
  t: WorkflowStore;
  tenant: string;
  main: Collector;
  harness: FeedHarness;
  store: FeedStore;
  cold?: { store: FeedStore; view: WorkflowStore };
}

type Cmd = fc.AsyncCommand<Model, Real>;

function logEvent(model: Model, id: string, op: WorkflowEvent['op'], wf: { version: number; type: string; status: string }): void {
  model.log.push({ id, text: `${op} ${id} v${wf.version} ${wf.type}/${wf.status}` });
  covered(`event ${op}`);
}

/** A new version written over `live` (or a new life when absent). */
function wroteVersion(model: Model, id: string, result: Workflow): void {
  const live = model.live.get(id);
  const kept = live ? [live.wf, ...live.kept].slice(0, model.keep) : [];
  model.live.set(id, { wf: clone(result), kept, doomed: false });
  logEvent(model, id, result.version === 1 ? 'created' : 'updated', result);
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function same(what: string, actual: unknown, expected: unknown): void {
  try {
    expect(actual).toEqual(expected);
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`);
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

async function settle(promise: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

function expectError(what: string, outcome: Outcome, type: new (...args: never[]) => Error): Error {
  if (outcome.ok) throw new Error(`${what}: expected ${type.name}, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof type)) throw new Error(`${what}: expected ${type.name}, got ${describeError(outcome.error)}`);
  return outcome.error;
}

function expectValue<T>(what: string, outcome: Outcome): T {
  if (!outcome.ok) throw new Error(`${what}: expected success, got ${describeError(outcome.error)}`);
  return outcome.value as T;
}

function requestText(request: Request): string {
  const { kind, ...rest } = request;
  return `${kind}${JSON.stringify(rest)}`;
}

function send(t: WorkflowStore, request: Request): Promise<unknown> {
  const key = request.key === undefined ? {} : { operationId: request.key };
  switch (request.kind) {
    case 'create':
      return t.create({ id: request.id, type: request.type, state: clone(request.state), ...(request.status === undefined ? {} : { status: request.status }) }, key);
    case 'save':
      return t.save(
        request.id,
        {
          state: clone(request.state),
          ...(request.type === undefined ? {} : { type: request.type }),
          ...(request.status === undefined ? {} : { status: request.status }),
          ...(request.ttl === undefined ? {} : { ttlSeconds: request.ttl }),
        },
        { ...key, ...(request.expectedVersion === undefined ? {} : { expectedVersion: request.expectedVersion }) },
      );
    case 'update':
      return t.update(
        request.id,
        {
          ...(request.type === undefined ? {} : { type: request.type }),
          ...(request.status === undefined ? {} : { status: request.status }),
          ...(request.patch === undefined ? {} : { state: clone(request.patch) }),
        },
        { ...key, ...(request.expectedVersion === undefined ? {} : { expectedVersion: request.expectedVersion }) },
      );
    case 'mutate':
      return t.mutate(request.id, (current) => ({ status: request.status, state: { ...current.state, ...clone(request.add) } }), key);
    case 'delete':
      return t.delete(request.id, { ...key, ...(request.expectedVersion === undefined ? {} : { expectedVersion: request.expectedVersion }) });
    case 'touch':
      return t.touch(request.id, { ...key, ...(request.ttl === undefined ? {} : { ttlSeconds: request.ttl }) });
  }
}

/**
 * Checks the outcome of one request against the model as it was when the request was sent, and updates the model.
 * `before` is the id's state then (requests sent together target distinct ids, so each sees only its own).
 */
function apply(model: Model, request: Request, before: Live | undefined, outcome: Outcome): void {
  const what = requestText(request);
  const { id } = request;
  const remembered = request.key === undefined ? undefined : model.keys.get(request.key);
  if (remembered) {
    // A retry of a keyed write that was applied: a replay, nothing written.
    if (request.kind === 'delete') {
      const result = expectValue<object>(`${what} (replay)`, outcome);
      same(`${what} (replay)`, result, { id, version: remembered.version });
      same(`${what} replayOf`, replayOf(result), { outcome: 'deleted', version: remembered.version, changedSince: before !== undefined });
      covered('replay of a delete');
      return;
    }
    if (!before) {
      expectError(`${what} (replay, workflow gone)`, outcome, NotFoundError);
      covered('replay, workflow gone');
      return;
    }
    const result = expectValue<Workflow>(`${what} (replay)`, outcome);
    const unchanged = before.wf.version === remembered.version && before.wf.createdAt === remembered.createdAt;
    const produced = unchanged ? undefined : before.kept.find((kept) => kept.version === remembered.version && kept.createdAt === remembered.createdAt);
    same(`${what} (replay) answers with ${unchanged ? 'the current workflow' : produced ? 'the version it produced, from the history' : 'the current workflow (its version is not kept)'}`, result, produced ?? before.wf);
    same(`${what} replayOf`, replayOf(result), { outcome: remembered.outcome, version: remembered.version, changedSince: !unchanged });
    covered(unchanged ? 'replay, unchanged' : produced ? 'replay answered from the history' : 'replay, version no longer kept');
    return;
  }
  const remember = (outcomeName: ReplayInfo['outcome'], wf: Workflow): void => {
    if (request.key !== undefined) model.keys.set(request.key, { outcome: outcomeName, version: wf.version, createdAt: wf.createdAt });
  };
  const refused = (): void => covered(`refused ${request.kind}`);
  switch (request.kind) {
    case 'create': {
      if (before) {
        const error = expectError(what, outcome, AlreadyExistsError) as AlreadyExistsError;
        same(`${what} currentVersion`, error.currentVersion, before.wf.version);
        return refused();
      }
      const result = expectValue<Workflow>(what, outcome);
      same(what, { id: result.id, type: result.type, status: result.status, state: result.state, version: result.version }, {
        id,
        type: request.type,
        status: request.status ?? DEFAULT_STATUS,
        state: request.state,
        version: 1,
      });
      wroteVersion(model, id, result);
      remember('created', result);
      return;
    }
    case 'save': {
      if (request.expectedVersion !== undefined && !before) {
        expectError(what, outcome, NotFoundError);
        return refused();
      }
      if (request.expectedVersion !== undefined && before && before.wf.version !== request.expectedVersion) {
        const error = expectError(what, outcome, VersionConflictError) as VersionConflictError;
        same(`${what} currentVersion`, error.currentVersion, before.wf.version);
        return refused();
      }
      const result = expectValue<Workflow>(what, outcome);
      // The default type is not exported: learned from the first upsert without one, then held to.
      if (!before && request.type === undefined) model.defaultType ??= result.type;
      same(what, { type: result.type, status: result.status, state: result.state, version: result.version }, {
        type: request.type ?? before?.wf.type ?? model.defaultType,
        status: request.status ?? before?.wf.status ?? DEFAULT_STATUS,
        state: request.state,
        version: (before?.wf.version ?? 0) + 1,
      });
      if (before) same(`${what} createdAt`, result.createdAt, before.wf.createdAt);
      wroteVersion(model, id, result);
      remember(result.version === 1 ? 'created' : 'written', result);
      return;
    }
    case 'update':
    case 'mutate': {
      if (!before) {
        expectError(what, outcome, NotFoundError);
        return refused();
      }
      if (request.kind === 'update' && request.expectedVersion !== undefined && before.wf.version !== request.expectedVersion) {
        const error = expectError(what, outcome, VersionConflictError) as VersionConflictError;
        same(`${what} currentVersion`, error.currentVersion, before.wf.version);
        return refused();
      }
      const result = expectValue<Workflow>(what, outcome);
      const expected =
        request.kind === 'update'
          ? {
              type: request.type ?? before.wf.type,
              status: request.status ?? before.wf.status,
              state: request.patch === undefined ? before.wf.state : mergePatch(before.wf.state, request.patch),
            }
          : { type: before.wf.type, status: request.status, state: { ...before.wf.state, ...request.add } };
      same(what, { type: result.type, status: result.status, state: result.state, version: result.version, createdAt: result.createdAt }, {
        ...expected,
        version: before.wf.version + 1,
        createdAt: before.wf.createdAt,
      });
      wroteVersion(model, id, result);
      remember('written', result);
      return;
    }
    case 'delete': {
      if (!before) {
        expectError(what, outcome, NotFoundError);
        return refused();
      }
      if (request.expectedVersion !== undefined && before.wf.version !== request.expectedVersion) {
        const error = expectError(what, outcome, VersionConflictError) as VersionConflictError;
        same(`${what} currentVersion`, error.currentVersion, before.wf.version);
        return refused();
      }
      same(what, expectValue(what, outcome), { id, version: before.wf.version });
      model.live.delete(id);
      logEvent(model, id, 'deleted', before.wf);
      remember('deleted', before.wf);
      return;
    }
    case 'touch': {
      if (!before) {
        expectError(what, outcome, NotFoundError);
        return refused();
      }
      const result = expectValue<Workflow>(what, outcome);
      same(what, { ...result, expiresAt: undefined, ttlSeconds: undefined }, { ...before.wf, expiresAt: undefined, ttlSeconds: undefined });
      same(`${what} ttlSeconds`, result.ttlSeconds, request.ttl ?? before.wf.ttlSeconds);
      model.live.set(id, { wf: clone(result), kept: before.kept, doomed: false });
      logEvent(model, id, 'touched', result);
      remember('touched', result);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Checks of the history and the watches.

async function checkHistory(model: Model, real: Real, id: string): Promise<void> {
  const live = model.live.get(id);
  if (live?.doomed) return; // may be gone at any moment
  const history = await real.t.history(id);
  if (!live) {
    same(`history(${id}) of an absent workflow`, history, null);
    same(`getVersion(${id}, 1) of an absent workflow`, await real.t.getVersion(id, 1), null);
    return;
  }
  const oldestVersion = live.kept.at(-1)?.version ?? live.wf.version;
  same(`history(${id})`, history, {
    id,
    currentVersion: live.wf.version,
    oldestVersion,
    versions: [live.wf, ...live.kept].map((w) => ({ version: w.version, type: w.type, status: w.status, updatedAt: w.updatedAt })),
  });
  if (live.kept.length > 0) covered('history with kept versions');
  if (live.kept.length === model.keep && model.keep > 0) covered('history at its bound');
  for (let version = 1; version <= live.wf.version + 1; version++) {
    const kept = version === live.wf.version ? live.wf : live.kept.find((w) => w.version === version);
    const outcome = await settle(real.t.getVersion(id, version));
    if (kept) {
      same(`getVersion(${id}, ${version})`, expectValue(`getVersion(${id}, ${version})`, outcome), kept);
    } else {
      const error = expectError(`getVersion(${id}, ${version})`, outcome, VersionNotKeptError) as VersionNotKeptError;
      same(`getVersion(${id}, ${version}) error`, { current: error.currentVersion, oldest: error.oldestVersion }, { current: live.wf.version, oldest: oldestVersion });
    }
  }
}

/** What watch `watch` must deliver, given the main watch's events (the whole feed of the run so far). */
function expectedFor(watch: OpenWatch, main: readonly WorkflowEvent[]): WorkflowEvent[] {
  const after = watch.after;
  const from = after === undefined ? main.slice(watch.startIndex) : main.filter((event) => compareEventIds(event.eventId, after) > 0);
  return from.filter((event) => matchesFilter(event, watch.filter));
}

async function expectDelivered(watch: OpenWatch, main: readonly WorkflowEvent[]): Promise<void> {
  const expected = expectedFor(watch, main);
  const what = `watch #${watch.no} (${JSON.stringify(watch.filter)}, ${watch.after === undefined ? `live from event ${watch.startIndex}` : `after ${watch.after}`}${watch.cold ? ', second instance' : ''})`;
  await watch.collector.until((messages) => messages.length >= expected.length, `${expected.length} events`, 8_000);
  await sleep(2);
  const actual = watch.collector.messages.map((m) => (m.kind === 'event' ? `${m.event.eventId} ${brief(m.event)}` : `reset(${m.reason})`));
  same(what, actual, expected.map((e) => `${e.eventId} ${brief(e)}`));
  same(`${what}: events`, watch.collector.events, expected);
  if (expected.length > 0) covered(watch.after === undefined ? 'live watch with events' : watch.cold ? 'cold resume with events' : 'resume with events');
}

/** Waits until the main watch delivered every event the model expects so far. */
async function mainCaughtUp(model: Model, real: Real): Promise<void> {
  await real.main.until((messages) => messages.length >= model.log.length, `${model.log.length} events`, 8_000);
}

// ---------------------------------------------------------------------------------------------------------------
// Commands.

function writable(model: Readonly<Model>, id: string): boolean {
  return model.live.get(id)?.doomed !== true;
}

type WriteSpec =
  | { kind: 'create'; i: number; type: number; status: number | undefined; state: number }
  | { kind: 'save'; i: number; type: number | undefined; status: number | undefined; state: number; ttl: boolean; expect: 'none' | 'current' | 'stale' }
  | { kind: 'update'; i: number; type: number | undefined; status: number | undefined; patch: number | undefined; expect: 'none' | 'current' | 'stale' }
  | { kind: 'mutate'; i: number; status: number; state: number }
  | { kind: 'delete'; i: number; expect: 'none' | 'current' | 'stale' }
  | { kind: 'touch'; i: number; ttl: boolean };

function expectedVersion(mode: 'none' | 'current' | 'stale', live: Live | undefined): number | undefined {
  if (mode === 'none') return undefined;
  return (live?.wf.version ?? 1) + (mode === 'stale' ? 1 : 0);
}

/** The concrete request of a spec in the current model (undefined when its target is doomed). */
function requestOf(model: Model, spec: WriteSpec, keyed: boolean): Request | undefined {
  const id = IDS[spec.i] as string;
  if (!writable(model, id)) return undefined;
  const live = model.live.get(id);
  const key = keyed ? `k${++model.keySequence}` : undefined;
  const base = { id, ...(key === undefined ? {} : { key }) };
  switch (spec.kind) {
    case 'create':
      return { ...base, kind: 'create', type: TYPES[spec.type] as string, ...(spec.status === undefined ? {} : { status: STATUSES[spec.status] }), state: STATES[spec.state] as JsonObject };
    case 'save':
      return {
        ...base,
        kind: 'save',
        ...(spec.type === undefined ? {} : { type: TYPES[spec.type] }),
        ...(spec.status === undefined ? {} : { status: STATUSES[spec.status] }),
        state: STATES[spec.state] as JsonObject,
        ...(spec.ttl ? { ttl: 3600 } : {}),
        ...(expectedVersion(spec.expect, live) === undefined ? {} : { expectedVersion: expectedVersion(spec.expect, live) }),
      };
    case 'update':
      return {
        ...base,
        kind: 'update',
        ...(spec.type === undefined ? {} : { type: TYPES[spec.type] }),
        ...(spec.status === undefined ? {} : { status: STATUSES[spec.status] }),
        ...(spec.patch === undefined ? {} : { patch: PATCHES[spec.patch] }),
        ...(expectedVersion(spec.expect, live) === undefined ? {} : { expectedVersion: expectedVersion(spec.expect, live) }),
      };
    case 'mutate':
      return { ...base, kind: 'mutate', status: STATUSES[spec.status] as string, add: { m: spec.state } };
    case 'delete':
      return { ...base, kind: 'delete', ...(expectedVersion(spec.expect, live) === undefined ? {} : { expectedVersion: expectedVersion(spec.expect, live) }) };
    case 'touch':
      return { ...base, kind: 'touch', ...(spec.ttl ? { ttl: 7200 } : {}) };
  }
}

/** Sends requests (to distinct ids) at once, then checks each against the model as it was before all of them. */
async function sendAll(model: Model, real: Real, requests: Request[]): Promise<void> {
  const befores = requests.map((request) => model.live.get(request.id));
  for (const request of requests) if (request.key !== undefined && !model.keys.has(request.key)) model.sent.push(request);
  const outcomes = await Promise.all(requests.map((request) => settle(send(real.t, request))));
  requests.forEach((request, i) => apply(model, request, befores[i], outcomes[i] as Outcome));
  if (requests.length > 1) covered('writes sent together');
}

function specText(spec: WriteSpec, keyed: boolean): string {
  return `${JSON.stringify(spec)}${keyed ? ' keyed' : ''}`;
}

class WriteCmd implements Cmd {
  constructor(
    readonly specs: { spec: WriteSpec; keyed: boolean }[],
    /** Sends the (single, keyed) request once more right away, as a client retrying after a lost reply would. */
    readonly again = false,
  ) {}
  check(model: Readonly<Model>): boolean {
    return this.specs.some(({ spec }) => writable(model, IDS[spec.i] as string));
  }
  async run(model: Model, real: Real): Promise<void> {
    const seen = new Set<number>();
    const requests: Request[] = [];
    for (const { spec, keyed } of this.specs) {
      if (seen.has(spec.i)) continue;
      seen.add(spec.i);
      const request = requestOf(model, spec, keyed);
      if (request) requests.push(request);
    }
    await sendAll(model, real, requests);
    const [only] = requests;
    if (this.again && requests.length === 1 && only?.key !== undefined) {
      covered('immediate retry');
      await sendAll(model, real, [only]);
    }
  }
  toString(): string {
    const text =
      this.specs.length === 1
        ? `write(${specText(this.specs[0]?.spec as WriteSpec, this.specs[0]?.keyed ?? false)})`
        : `together(${this.specs.map(({ spec, keyed }) => specText(spec, keyed)).join(', ')})`;
    return this.again ? `${text} twice` : text;
  }
}

/** Repeats a keyed request exactly (a replay when it was applied; evaluated again when it was refused). */
class RetryCmd implements Cmd {
  constructor(readonly back: number) {}
  private request(model: Readonly<Model>): Request | undefined {
    const request = model.sent[model.sent.length - 1 - (this.back % Math.max(1, model.sent.length))];
    return request && writable(model, request.id) ? request : undefined;
  }
  check(model: Readonly<Model>): boolean {
    return this.request(model) !== undefined;
  }
  async run(model: Model, real: Real): Promise<void> {
    const request = this.request(model) as Request;
    covered('retry');
    await sendAll(model, real, [request]);
  }
  toString(): string {
    return `retry(${this.back})`;
  }
}

/** Unconditional saves and updates of one workflow racing: the versions they get tell their order. */
class RaceCmd implements Cmd {
  constructor(
    readonly i: number,
    readonly writes: { save: boolean; state: number; status: number | undefined }[],
  ) {}
  check(model: Readonly<Model>): boolean {
    const live = model.live.get(IDS[this.i] as string);
    return live !== undefined && !live.doomed;
  }
  async run(model: Model, real: Real): Promise<void> {
    const id = IDS[this.i] as string;
    const requests: Request[] = this.writes.map((w) =>
      w.save
        ? { kind: 'save', id, state: STATES[w.state] as JsonObject, ...(w.status === undefined ? {} : { status: STATUSES[w.status] }) }
        : { kind: 'update', id, patch: PATCHES[w.state % PATCHES.length] as JsonObject, ...(w.status === undefined ? {} : { status: STATUSES[w.status] }) },
    );
    const outcomes = await Promise.all(requests.map((request) => settle(send(real.t, request))));
    const results = outcomes.map((outcome, i) => ({ request: requests[i] as Request, wf: expectValue<Workflow>(`race ${requestText(requests[i] as Request)}`, outcome) }));
    results.sort((a, b) => a.wf.version - b.wf.version);
    for (const { request, wf } of results) {
      const before = model.live.get(id) as Live;
      same(`race ${requestText(request)}: version`, wf.version, before.wf.version + 1);
      apply(model, request, before, { ok: true, value: wf });
    }
    covered('race on one workflow');
  }
  toString(): string {
    return `race(${IDS[this.i]}, ${JSON.stringify(this.writes)})`;
  }
}

/**
 * Restores `id` at the current version + 1 (a new record when absent), with history (its stored versions, as an
 * export carries them) or without, expiring in an hour or within EXPIRE_SOON_MS; or repeats the current version
 * (skipped, nothing recorded).
 */
class RestoreCmd implements Cmd {
  constructor(
    readonly i: number,
    readonly mode: 'plain' | 'history' | 'soon' | 'same',
    readonly type: number,
  ) {}
  check(model: Readonly<Model>): boolean {
    const live = model.live.get(IDS[this.i] as string);
    return !live?.doomed && (this.mode !== 'same' || live !== undefined);
  }
  async run(model: Model, real: Real): Promise<void> {
    const id = IDS[this.i] as string;
    const live = model.live.get(id);
    const now = Date.now();
    if (this.mode === 'same' && live) {
      same(`restore(${id}) of the stored version`, await real.t.restore(live.wf), 'skipped-same');
      covered('restore skipped');
      return;
    }
    const version = (live?.wf.version ?? 0) + 1 + (live ? 0 : this.type);
    const createdAt = live?.wf.createdAt ?? new Date(now - 10_000).toISOString();
    const workflow: Workflow = {
      id,
      type: TYPES[this.type] as string,
      status: 'restored',
      state: { restored: version },
      version,
      createdAt,
      updatedAt: new Date(now - 1_000).toISOString(),
      expiresAt: new Date(now + (this.mode === 'soon' ? EXPIRE_SOON_MS : 3_600_000)).toISOString(),
      ttlSeconds: 3600,
    };
    let history: Workflow[] = [];
    if (this.mode !== 'plain') {
      history = live
        ? [live.wf, ...live.kept]
        : Array.from({ length: version - 1 }, (_, n) => ({ ...workflow, version: n + 1, status: `old${n + 1}`, state: { old: n + 1 }, expiresAt: new Date(now - 5_000).toISOString() }));
    }
    const outcome = history.length > 0 ? await real.t.restoreWithHistory({ workflow, history: [...history].reverse() }) : await real.t.restore(workflow);
    if (outcome === 'skipped-expired' && this.mode === 'soon' && Date.now() >= Date.parse(workflow.expiresAt) - 5) {
      // Timing: the store saw the record after its expiresAt (a loaded machine). Nothing was written or recorded.
      covered('restore too late');
      return;
    }
    same(`restore(${id}, v${version}, ${this.mode})`, outcome, 'written');
    const kept = history.filter((w) => w.version < version && w.version > version - 1 - model.keep).sort((a, b) => b.version - a.version);
    model.live.set(id, { wf: workflow, kept: clone(kept), doomed: this.mode === 'soon' });
    logEvent(model, id, 'restored', workflow);
    covered(`restore ${this.mode}`);
  }
  toString(): string {
    return `restore(${IDS[this.i]}, ${this.mode}, ${TYPES[this.type]})`;
  }
}

/** Lets every doomed workflow expire, then makes the store observe it. */
async function expireDoomed(model: Model, real: Real): Promise<void> {
  const doomed = [...model.live].filter(([, live]) => live.doomed);
  if (doomed.length === 0) return;
  const last = Math.max(...doomed.map(([, live]) => Date.parse(live.wf.expiresAt)));
  await sleep(last + 40 - Date.now());
  await real.harness.observeExpiries(real.t, doomed.map(([id]) => id));
  for (const [id, live] of doomed) {
    model.live.delete(id);
    logEvent(model, id, 'expired', live.wf);
  }
}

class SleepCmd implements Cmd {
  check(model: Readonly<Model>): boolean {
    return [...model.live.values()].some((live) => live.doomed);
  }
  async run(model: Model, real: Real): Promise<void> {
    await expireDoomed(model, real);
  }
  toString(): string {
    return 'sleep';
  }
}

type FilterSpec = { kind: 'all' } | { kind: 'id'; i: number } | { kind: 'type'; i: number } | { kind: 'status'; i: number };

function filterOf(spec: FilterSpec): WatchFilter {
  switch (spec.kind) {
    case 'all':
      return {};
    case 'id':
      return { id: IDS[spec.i] as string };
    case 'type':
      return { type: TYPES[spec.i % TYPES.length] as string };
    case 'status':
      return { status: [...STATUSES, 'restored', DEFAULT_STATUS][spec.i % 4] as string };
  }
}

class OpenWatchCmd implements Cmd {
  constructor(
    readonly filter: FilterSpec,
    /** undefined: live; otherwise the index (modulo) of the main watch's event to resume after. */
    readonly resumeAt: number | undefined,
    readonly cold: boolean,
  ) {}
  check(model: Readonly<Model>): boolean {
    return model.watches.length < MAX_OPEN_WATCHES && (this.resumeAt === undefined || model.log.length > 0);
  }
  async run(model: Model, real: Real): Promise<void> {
    await mainCaughtUp(model, real);
    const main = real.main.events;
    // A live watch on the second instance resumes after the last event instead: that instance's reader may still be
    // behind the writes the main watch has seen (a live watch there would start wherever its reader stands).
    const liveAfter = this.cold && real.harness.reopen ? main.at(-1)?.eventId : undefined;
    const after = this.resumeAt === undefined ? liveAfter : (main[this.resumeAt % main.length] as WorkflowEvent).eventId;
    const filter = filterOf(this.filter);
    let view = real.t;
    if (this.cold && real.harness.reopen) {
      real.cold ??= await (async () => {
        const store = await (real.harness.reopen as NonNullable<FeedHarness['reopen']>)(real.store);
        return { store, view: store.forTenant(real.tenant) };
      })();
      view = real.cold.view;
    }
    model.watchSequence += 1;
    const collector = await Collector.open(view, filter, after, `watch #${model.watchSequence}`);
    model.watches.push({ no: model.watchSequence, collector, filter, ...(after === undefined ? {} : { after }), startIndex: main.length, cold: view !== real.t });
    covered(after === undefined ? 'open live watch' : 'open resumed watch');
  }
  toString(): string {
    return `watch(${JSON.stringify(this.filter)}, ${this.resumeAt === undefined ? 'live' : `after event #${this.resumeAt}`}${this.cold ? ', second instance' : ''})`;
  }
}

class CloseWatchCmd implements Cmd {
  constructor(readonly n: number) {}
  check(model: Readonly<Model>): boolean {
    return model.watches.length > 0;
  }
  async run(model: Model, real: Real): Promise<void> {
    const index = this.n % model.watches.length;
    const watch = model.watches[index] as OpenWatch;
    await mainCaughtUp(model, real);
    await expectDelivered(watch, real.main.events);
    await watch.collector.close();
    model.watches.splice(index, 1);
    covered('close watch');
  }
  toString(): string {
    return `closeWatch(${this.n})`;
  }
}

class HistoryCmd implements Cmd {
  constructor(readonly i: number) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    await checkHistory(model, real, IDS[this.i] as string);
  }
  toString(): string {
    return `history(${IDS[this.i]})`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries.

function commandArbitrary(cold: boolean): fc.Arbitrary<Cmd> {
  const i = fc.nat({ max: IDS.length - 1 });
  const type = fc.nat({ max: TYPES.length - 1 });
  const status = fc.nat({ max: STATUSES.length - 1 });
  const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 2 });
  const state = fc.nat({ max: STATES.length - 1 });
  const mode = fc.constantFrom<'none' | 'current' | 'stale'>('none', 'none', 'current', 'stale');
  const spec: fc.Arbitrary<WriteSpec> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('create' as const), i, type, status: maybe(status), state }) },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('save' as const), i, type: maybe(type), status: maybe(status), state, ttl: fc.boolean(), expect: mode }) },
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant('update' as const), i, type: maybe(type), status: maybe(status), patch: maybe(fc.nat({ max: PATCHES.length - 1 })), expect: mode }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('mutate' as const), i, status, state }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), i, expect: mode }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('touch' as const), i, ttl: fc.boolean() }) },
  );
  const keyedSpec = fc.record({ spec, keyed: fc.boolean() });
  const filter: fc.Arbitrary<FilterSpec> = fc.oneof(
    { weight: 3, arbitrary: fc.constant({ kind: 'all' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('id' as const), i }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('type' as const), i: fc.nat({ max: 1 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('status' as const), i: fc.nat({ max: 3 }) }) },
  );
  return fc.oneof(
    { weight: 12, arbitrary: keyedSpec.map((s) => new WriteCmd([s]) as Cmd) },
    { weight: 3, arbitrary: spec.map((s) => new WriteCmd([{ spec: s, keyed: true }], true) as Cmd) },
    { weight: 4, arbitrary: fc.array(keyedSpec, { minLength: 2, maxLength: 4 }).map((s) => new WriteCmd(s) as Cmd) },
    { weight: 4, arbitrary: fc.nat({ max: 6 }).map((n) => new RetryCmd(n) as Cmd) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(i, fc.array(fc.record({ save: fc.boolean(), state, status: maybe(status) }), { minLength: 2, maxLength: 3 }))
        .map(([id, writes]) => new RaceCmd(id, writes) as Cmd),
    },
    { weight: 3, arbitrary: fc.tuple(i, fc.constantFrom<'plain' | 'history' | 'soon' | 'same'>('plain', 'history', 'history', 'soon', 'same'), type).map(([id, m, y]) => new RestoreCmd(id, m, y) as Cmd) },
    { weight: 2, arbitrary: fc.constant(new SleepCmd() as Cmd) },
    { weight: 4, arbitrary: fc.tuple(filter, maybe(fc.nat({ max: 200 })), cold ? fc.boolean() : fc.constant(false)).map(([f, r, c]) => new OpenWatchCmd(f, r, c) as Cmd) },
    { weight: 2, arbitrary: fc.nat({ max: MAX_OPEN_WATCHES - 1 }).map((n) => new CloseWatchCmd(n) as Cmd) },
    { weight: 2, arbitrary: i.map((id) => new HistoryCmd(id) as Cmd) },
  );
}

// ---------------------------------------------------------------------------------------------------------------

async function finish(model: Model, real: Real): Promise<void> {
  await expireDoomed(model, real);
  // A last write nobody else makes: once the main watch has it, every earlier event has been delivered.
  // Across shards the feed orders by the millisecond first: the sentinel waits for the clock to move on.
  await sleep(3);
  const sentinel = `end-${model.keySequence}`;
  const end = await real.t.create({ id: sentinel, type: 'end', state: {} });
  logEvent(model, sentinel, 'created', end);
  await mainCaughtUp(model, real);
  await sleep(2);
  const main = real.main.events;
  same('the main watch: messages are events only', real.main.messages.length, main.length);
  expectFeedOrder('the main watch', main);
  same('the main watch ends with the sentinel', main.at(-1)?.id, sentinel);
  const byId = (entries: readonly { id: string; text: string }[]): Record<string, string[]> => {
    const map: Record<string, string[]> = {};
    for (const entry of entries) (map[entry.id] ??= []).push(entry.text);
    return map;
  };
  same('the main watch: per workflow, the successful writes and observed expiries in order', byId(main.map((e) => ({ id: e.id, text: brief(e) }))), byId(model.log));
  same('the main watch: one event per successful write', main.length, model.log.length);
  same('the main watch: tenant', [...new Set(main.map((e) => e.tenant))], [real.tenant]);
  for (const watch of model.watches.splice(0)) {
    await expectDelivered(watch, main);
    await watch.collector.close();
  }
  for (const id of IDS) await checkHistory(model, real, id);
}

const MUST_COVER = [
  'event created',
  'event updated',
  'event deleted',
  'event touched',
  'event restored',
  'event expired',
  'writes sent together',
  'race on one workflow',
  'replay, unchanged',
  'replay of a delete',
  'refused create',
  'refused update',
  'open live watch',
  'open resumed watch',
  'close watch',
  'resume with events',
  'live watch with events',
  'restore history',
  'restore soon',
  // 'restore skipped' is rare in short runs (60 at 64 shards missed it once); the feed and history contracts cover
  // skipped restores deterministically.
];

export interface FeedModelOptions {
  runs: number;
  /** WORKFLOW_HISTORY_VERSIONS of the store under test. */
  historyVersions: number;
  /** Up to this many commands per run. */
  maxCommands?: number;
  /** Extra configuration of the store (e.g. REDIS_SHARDS). */
  env?: Record<string, string>;
}

export function describeFeedModelSuite(name: string, harness: FeedHarness, options: FeedModelOptions): void {
  const cold = harness.reopen !== undefined;
  describe(`model-based change feed and history: ${name}`, () => {
    let store: FeedStore | undefined;
    const colds: FeedStore[] = [];
    beforeAll(async () => {
      store = await harness.makeStore({ WORKFLOW_HISTORY_VERSIONS: String(options.historyVersions), ...options.env });
    });
    afterAll(async () => {
      for (const other of colds.splice(0)) await other.close();
      await store?.close();
    });

    async function runScenario(commands: Iterable<Cmd>): Promise<void> {
      if (!store) throw new Error('the store did not open');
      const tenant = freshTenant('m');
      const t = store.forTenant(tenant);
      const main = await Collector.open(t, {}, undefined, 'main watch');
      const model: Model = { keep: options.historyVersions, live: new Map(), log: [], keys: new Map(), sent: [], keySequence: 0, watches: [], watchSequence: 0 };
      const real: Real = { t, tenant, main, harness, store };
      try {
        await fc.asyncModelRun(() => ({ model, real }), commands);
        await finish(model, real);
      } finally {
        for (const watch of model.watches.splice(0)) await watch.collector.close();
        await main.close();
        if (real.cold) colds.push(real.cold.store);
      }
      if (real.cold) covered('cold resume store used');
      covered('runs');
    }

    it(`the feed delivers every successful write once, in order, from any resume point, and the history agrees with the model (${options.runs} runs)`, async () => {
      coverage.clear();
      const started = Date.now();
      await fc.assert(
        fc.asyncProperty(fc.commands([commandArbitrary(cold)], { maxCommands: options.maxCommands ?? 30, size: 'max' }), async (commands) => {
          await runScenario(commands);
          // Stores opened for cold resumes are closed as the runs go, not all at the end.
          for (const other of colds.splice(0)) await other.close();
        }),
        { numRuns: options.runs },
      );
      const kept = options.historyVersions > 0 ? ['history at its bound', 'history with kept versions', 'replay answered from the history'] : ['replay, version no longer kept'];
      const mustCover = [...MUST_COVER, ...(cold ? ['cold resume with events'] : []), ...kept];
      const missing = mustCover.filter((what) => !coverage.has(what));
      if (missing.length > 0) throw new Error(`the runs never exercised: ${missing.join(', ')} (coverage: ${JSON.stringify(Object.fromEntries(coverage))})`);
      // For the report: what the runs did, and how long they took.
      process.stdout.write(`feed model ${name}: ${options.runs} runs in ${Date.now() - started} ms; ${JSON.stringify(Object.fromEntries([...coverage].sort()))}\n`);
    }, 300_000);
  });
}
