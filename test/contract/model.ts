/**
 * Model-based (fast-check) suite for two promises of storage format v2, run against each backend:
 *
 * 1. List walks hold under change. A walk (pages followed until `nextCursor` is null) returns every workflow that
 *    exists and matches its filter for the whole walk exactly once, at most once one whose labels change, and only
 *    workflows that match the filter and exist when their page is read (the item is the workflow as stored then).
 * 2. Idempotency keys are bound to the request: same key and same request → applied once, repeats answer with the
 *    workflow as that write left it while the history (WORKFLOW_HISTORY_VERSIONS) still holds that version of that
 *    life, otherwise as stored now, and `replayOf()`; same key and another request → `IdempotencyKeyReusedError`, nothing
 *    changes; keys are per workflow id; a keyed create without id derives its id from the key; failures are not
 *    remembered; a key is remembered until the workflow it wrote would expire as of that write (a later write that
 *    shortens the workflow's life does not shorten it: a retry then finds the key and answers NotFound), and a
 *    replay's `changedSince` compares the version and creation time of the workflow stored now with the one the
 *    write left.
 *
 * Commands interleave writes (keyed or not, keys from a small pool so reuse with the same and with a different
 * request happens), relabels, restores, "expire soon" (a restore with version + 1 expiring ~50 ms later, then a
 * `sleep` that outlasts it), the pages of up to four concurrent walks, and pages read while writes land (one write,
 * or a relabel of every workflow at once). The model is exact for writes (outcome,
 * version, the whole stored workflow, replay info, errors) and set-based for walks, checked against a per-id timeline
 * of the model's states. Each run works in a tenant of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  AlreadyExistsError,
  DEFAULT_STATUS,
  IdempotencyKeyReusedError,
  LABEL_PATTERN,
  NotFoundError,
  VersionConflictError,
  loadWorkflowStoreConfig,
  replayOf,
  type JsonObject,
  type ListQuery,
  type ReplayInfo,
  type Workflow,
  type WorkflowPatch,
  type WorkflowStore,
} from '#workflow-store';
import { mergePatch } from '../support/merge-patch-oracle.js';

export type ModelStore = WorkflowStore & { close(): Promise<void> };
export type MakeModelStore = (env?: Record<string, string>) => Promise<ModelStore>;

// ---------------------------------------------------------------------------------------------------------------
// Pools: few ids, labels, bodies and keys, so that collisions (same id, same key, same request) are frequent.

const FIXED_IDS = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
const KEYS = ['op-a', 'op-b', 'op-c'];
const TYPES = ['tx', 'ty'];
const STATUSES = ['s1', 's2'];
const FILTER_STATUSES = [DEFAULT_STATUS, ...STATUSES];
const STATES: JsonObject[] = [{}, { n: 1 }, { n: 2, tags: ['a'] }, { nested: { x: true } }];
const PATCHES: JsonObject[] = [{ n: 3 }, { n: null }, { nested: { x: null, y: 1 } }, {}];
const TTLS: (number | undefined)[] = [undefined, undefined, 3600, 7200];
/** How long an "expire soon" restore lets the workflow live, and how much longer `sleep` waits after that. */
const EXPIRE_SOON_MS = 50;
const EXPIRY_MARGIN_MS = 30;
/** Concurrent walks per run, and the pages one walk may take before it is declared endless. */
const MAX_OPEN_WALKS = 4;
const MAX_PAGES = 400;

/** What the runs exercised (summed over a suite), so a vacuous model cannot pass unnoticed. */
const coverage = new Map<string, number>();
function covered(what: string, amount = 1): void {
  coverage.set(what, (coverage.get(what) ?? 0) + amount);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** The stores of these suites keep the default number of earlier versions (WORKFLOW_HISTORY_VERSIONS). */
const HISTORY_VERSIONS = loadWorkflowStoreConfig({}).limits.historyVersions;

let tenantSequence = 0;
/** A tenant nobody else uses (1-32 characters of A-Za-z0-9_.-). */
function freshTenant(): string {
  tenantSequence += 1;
  const random = Math.floor(Math.random() * 36 ** 5).toString(36);
  return `m${Date.now().toString(36)}${random}${tenantSequence.toString(36)}`.slice(0, 32);
}


function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

// ---------------------------------------------------------------------------------------------------------------
// The model.

/** What a remembered idempotency key says: the request it is bound to and what the write did. */
interface RememberedKey {
  fingerprint: string;
  outcome: ReplayInfo['outcome'];
  version: number;
  /** The life of the workflow the write was applied to (see `Live.life`), for coverage only. */
  life: number;
  /** Creation time of the workflow the write left (for a delete: the one it deleted): with the version, its identity. */
  createdAt: string;
}

interface Live {
  /** The whole workflow as the store must return it (from the write's own result, or the restored record). */
  wf: Workflow;
  /** Which life of this id: bumped whenever the id comes into existence again after being absent. */
  life: number;
  /** Restored with a short `expiresAt`: it may vanish at any moment until the next `sleep` makes it certain. */
  doomedUntil?: number;
  /** Earlier versions the store keeps (newest first, as stored when replaced): replays of their writes answer with them. */
  kept: Workflow[];
}

/** One point of an id's timeline: its state from logical time `t` on (null: absent). */
interface TimelineEntry {
  t: number;
  wf: Workflow | null;
  doomed: boolean;
}

interface Filter {
  type?: string;
  status?: string;
}

interface OpenWalk {
  no: number;
  filter: Filter;
  limit: number;
  cursor: string;
  /** Logical time of the first page. */
  firstT: number;
  seen: Set<string>;
  pages: number;
}

interface Model {
  expiryAllowed: boolean;
  /** key -> the id a keyed create without id derived from it (learned from the first such create). */
  derived: Map<string, string>;
  /** Ids generated by creates without id and without key. */
  generated: string[];
  live: Map<string, Live>;
  lives: Map<string, number>;
  /** `id NUL key` -> remembered key. */
  keys: Map<string, RememberedKey>;
  /** Keyed requests sent so far, for `retry`. */
  sent: WriteRequest[];
  /** Logical time: bumped by every change of state. */
  clock: number;
  timeline: Map<string, TimelineEntry[]>;
  walks: OpenWalk[];
  walkSequence: number;
  /** Learned from the store on first sight (the contract does not export them). */
  defaultType?: string;
  defaultTtl?: number;
}

interface Real {
  store: WorkflowStore;
}

type Cmd = fc.AsyncCommand<Model, Real>;

function newModel(expiryAllowed: boolean): Model {
  return {
    expiryAllowed,
    derived: new Map(),
    generated: [],
    live: new Map(),
    lives: new Map(),
    keys: new Map(),
    sent: [],
    clock: 0,
    timeline: new Map(),
    walks: [],
    walkSequence: 0,
  };
}

/** Records the id's current state as a new point of its timeline. */
function changed(model: Model, id: string): void {
  model.clock += 1;
  const live = model.live.get(id);
  const entries = model.timeline.get(id) ?? [];
  entries.push({ t: model.clock, wf: live ? clone(live.wf) : null, doomed: live?.doomedUntil !== undefined });
  model.timeline.set(id, entries);
}

/**
 * `history`: what becomes of the kept versions: `push` (a write of a new version keeps the one it replaces, as many
 * as WORKFLOW_HISTORY_VERSIONS; a new life starts with none), `keep` (a touch), `reset` (a restore without history).
 */
function setLive(model: Model, id: string, wf: Workflow, doomedUntil?: number, history: 'push' | 'keep' | 'reset' = 'push'): Live {
  const previous = model.live.get(id);
  let life = previous?.life;
  if (life === undefined) {
    life = (model.lives.get(id) ?? 0) + 1;
    model.lives.set(id, life);
  }
  const kept = !previous || history === 'reset' ? [] : history === 'keep' ? previous.kept : [previous.wf, ...previous.kept].slice(0, HISTORY_VERSIONS);
  const live: Live = { wf: clone(wf), life, kept, ...(doomedUntil === undefined ? {} : { doomedUntil }) };
  model.live.set(id, live);
  changed(model, id);
  return live;
}

function setAbsent(model: Model, id: string): void {
  model.live.delete(id);
  changed(model, id);
}

/** `createdAt`: of the workflow the write left (for a delete: the one it deleted). */
function remember(model: Model, id: string, key: string | undefined, fingerprint: string, outcome: ReplayInfo['outcome'], version: number, createdAt: string): void {
  if (key === undefined) return;
  covered(`keyed ${outcome}`);
  const life = model.live.get(id)?.life ?? model.lives.get(id) ?? 0;
  model.keys.set(`${id}\u0000${key}`, { fingerprint, outcome, version, life, createdAt });
}

/**
 * The end of a life by expiry. Keys written before it keep the bound they got then (the workflow's expiry as of
 * their write, far away in these tests): "expire soon" is a restore, which shortens the life without touching them.
 */
function expired(model: Model, id: string): void {
  if ([...model.keys].some(([name, remembered]) => name.startsWith(`${id}\u0000`) && remembered.life === model.live.get(id)?.life)) {
    covered('key outlives its workflow shortened by a restore');
  }
  setAbsent(model, id);
}

function matches(wf: Workflow, filter: Filter): boolean {
  return (filter.type === undefined || wf.type === filter.type) && (filter.status === undefined || wf.status === filter.status);
}

function stateAt(entries: TimelineEntry[], t: number): TimelineEntry | undefined {
  let found: TimelineEntry | undefined;
  for (const entry of entries) {
    if (entry.t > t) break;
    found = entry;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------------
// Assertions.

async function outcomeOf<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function expectRejection<E extends Error>(what: string, promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  const result = await outcomeOf(promise);
  if (result.ok) throw new Error(`${what}: expected ${type.name}, but it resolved with ${JSON.stringify(result.value)}`);
  if (!(result.error instanceof type)) throw new Error(`${what}: expected ${type.name}, got ${describeError(result.error)}`);
  return result.error;
}

async function expectResolved<T>(what: string, promise: Promise<T>): Promise<T> {
  const result = await outcomeOf(promise);
  if (!result.ok) throw new Error(`${what}: expected success, got ${describeError(result.error)}`);
  return result.value;
}

function expectFresh(what: string, result: object): void {
  const info = replayOf(result);
  if (info !== undefined) throw new Error(`${what}: applied now, but replayOf() says ${JSON.stringify(info)}`);
}

function expectSame(what: string, actual: unknown, expected: unknown): void {
  try {
    expect(actual).toEqual(expected);
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`);
  }
}

const ms = (iso: string): number => Date.parse(iso);

/** A workflow just written (not a touch): the fields the model predicts, timestamps consistent with the TTL. */
function checkWritten(what: string, actual: Workflow, expected: Omit<Workflow, 'createdAt' | 'updatedAt' | 'expiresAt'>, createdAt?: string): void {
  expectSame(what, { ...actual, createdAt: undefined, updatedAt: undefined, expiresAt: undefined }, {
    ...expected,
    createdAt: undefined,
    updatedAt: undefined,
    expiresAt: undefined,
  });
  if (createdAt !== undefined) expectSame(`${what} keeps createdAt`, actual.createdAt, createdAt);
  else expectSame(`${what} createdAt === updatedAt`, actual.createdAt, actual.updatedAt);
  expectSame(`${what} expiresAt = updatedAt + ttl`, ms(actual.expiresAt) - ms(actual.updatedAt), actual.ttlSeconds * 1000);
}

/** Learns the store's default type / TTL on first sight; afterwards they must not change. */
function defaultTypeOf(model: Model, seen: string): string {
  if (model.defaultType === undefined) {
    expect(seen).toMatch(LABEL_PATTERN);
    model.defaultType = seen;
  }
  return model.defaultType;
}

function defaultTtlOf(model: Model, seen: number): number {
  if (model.defaultTtl === undefined) {
    expect(Number.isInteger(seen) && seen > 0).toBe(true);
    model.defaultTtl = seen;
  }
  return model.defaultTtl;
}

// ---------------------------------------------------------------------------------------------------------------
// Targets: a fixed id, the id derived from a key (once a keyed create without id made it), or a generated id.

type Target = { kind: 'fixed'; i: number } | { kind: 'derived'; k: number } | { kind: 'generated'; i: number } | { kind: 'recent'; i: number };

function resolve(model: Readonly<Model>, target: Target): string | undefined {
  switch (target.kind) {
    case 'fixed':
      return FIXED_IDS[target.i];
    case 'derived':
      return model.derived.get(KEYS[target.k] as string);
    case 'generated':
      return model.generated.length === 0 ? undefined : model.generated[target.i % model.generated.length];
    case 'recent': {
      // The target of a recent keyed request: keeps writes, deletes and re-creates where keys are remembered.
      const request = model.sent[model.sent.length - 1 - target.i];
      return request === undefined ? undefined : targetOf(model, request);
    }
  }
}

function targetText(target: Target): string {
  switch (target.kind) {
    case 'fixed':
      return FIXED_IDS[target.i] as string;
    case 'derived':
      return `derived(${KEYS[target.k] as string})`;
    case 'generated':
      return `generated[${target.i}]`;
    case 'recent':
      return `target of the ${target.i === 0 ? 'last' : `${target.i + 1}th last`} keyed request`;
  }
}

function keyText(key: string | undefined): string {
  return key === undefined ? '' : `, key ${key}`;
}

type Expect = 'none' | 'current' | 'stale' | 1 | 2;

function expectedVersionOf(mode: Expect, live: Live | undefined): number | undefined {
  if (mode === 'none') return undefined;
  if (mode === 'current') return live?.wf.version ?? 1;
  if (mode === 'stale') return (live?.wf.version ?? 1) + 1;
  return mode;
}

/** A write as sent: concrete id, body, key and expected version, so a retry can send exactly the same request. */
type WriteRequest =
  | { kind: 'create'; id: string; key?: string; type: string; status?: string; state: JsonObject; ttl?: number }
  | { kind: 'createWithoutId'; key?: string; type: string; status?: string; state: JsonObject }
  | { kind: 'save'; id: string; key?: string; type?: string; status?: string; state: JsonObject; ttl?: number; expectedVersion?: number }
  | { kind: 'update'; id: string; key?: string; type?: string; status?: string; patch?: JsonObject; expectedVersion?: number }
  | { kind: 'delete'; id: string; key?: string; expectedVersion?: number }
  | { kind: 'touch'; id: string; key?: string; ttl?: number };

function requestText(request: WriteRequest): string {
  const { kind, ...rest } = request;
  return `${kind}${JSON.stringify(rest)}`;
}

/** The id a request targets; for a keyed create without id, the id its key derived (once known). */
function targetOf(model: Readonly<Model>, request: WriteRequest): string | undefined {
  if (request.kind !== 'createWithoutId') return request.id;
  return request.key === undefined ? undefined : model.derived.get(request.key);
}

/**
 * The request an idempotency key gets bound to: kind, target and everything that decides what the write does
 * (independent of how the store hashes it; an omitted field is not the same request as its default).
 */
function fingerprintOf(request: WriteRequest): string {
  return JSON.stringify(request, (k, v: unknown) => (k === 'key' ? undefined : v === undefined ? '<undefined>' : v));
}

function optionsOf(request: { key?: string; expectedVersion?: number }): { operationId?: string; expectedVersion?: number } {
  return {
    ...(request.key === undefined ? {} : { operationId: request.key }),
    ...(request.expectedVersion === undefined ? {} : { expectedVersion: request.expectedVersion }),
  };
}

/**
 * When the key is remembered for this id, the write must be refused (another request) or answered as a replay (same
 * request: the workflow as that write left it when the history still holds that version, else as stored now; or
 * NotFound when it is gone). Returns true when that settled it.
 */
async function settledByKey(what: string, model: Model, id: string, request: WriteRequest, call: () => Promise<Workflow>): Promise<boolean> {
  if (request.key === undefined) return false;
  const remembered = model.keys.get(`${id}\u0000${request.key}`);
  if (!remembered) return false;
  if (remembered.fingerprint !== fingerprintOf(request)) {
    const error = await expectRejection(`${what} (key bound to another request)`, call(), IdempotencyKeyReusedError);
    expectSame(`${what} error code`, error.code, 'idempotency-key-reused');
    covered('key reused for another request');
    return true;
  }
  const live = model.live.get(id);
  if (!live) {
    await expectRejection(`${what} (replay of a write whose workflow is gone)`, call(), NotFoundError);
    covered('replay, workflow gone');
    return true;
  }
  const result = await expectResolved(`${what} (replay)`, call());
  const unchanged = live.wf.createdAt === remembered.createdAt && live.wf.version === remembered.version;
  // Moved on since: the workflow as that write left it while the history holds that version of that life.
  const produced = unchanged ? undefined : live.kept.find((kept) => kept.version === remembered.version && kept.createdAt === remembered.createdAt);
  expectSame(`${what} (replay) answers ${produced ? 'the version it produced (history)' : 'the workflow as stored now'}`, result, produced ?? live.wf);
  expectSame(`${what} replayOf`, replayOf(result), {
    outcome: remembered.outcome,
    version: remembered.version,
    // Whether the workflow stored now is not the one the original write left: another version or creation time.
    changedSince: !unchanged,
  });
  covered(live.life !== remembered.life ? 'replay, workflow of a later life' : live.wf.version !== remembered.version ? 'replay, changed since' : 'replay, unchanged');
  if (produced) covered('replay answered from the history');
  return true;
}

/** A keyed write refused (not found, conflict, exists): its key is not remembered, so a retry is evaluated again. */
function refusedKeyed(request: WriteRequest): void {
  if (request.key !== undefined) covered('keyed write refused');
}

/** Sends one write and checks its outcome against the model, which it then updates. */
async function execute(model: Model, real: Real, request: WriteRequest): Promise<void> {
  const what = requestText(request);
  const fingerprint = fingerprintOf(request);
  switch (request.kind) {
    case 'create':
    case 'createWithoutId': {
      const input = {
        ...(request.kind === 'create' ? { id: request.id } : {}),
        type: request.type,
        state: clone(request.state),
        ...(request.status === undefined ? {} : { status: request.status }),
        ...(request.kind === 'create' && request.ttl !== undefined ? { ttlSeconds: request.ttl } : {}),
      };
      const call = () => real.store.create(clone(input), optionsOf(request));
      const known = targetOf(model, request);
      if (known !== undefined) {
        if (await settledByKey(what, model, known, request, call)) return;
        const live = model.live.get(known);
        if (live) {
          const error = await expectRejection(what, call(), AlreadyExistsError);
          expectSame(`${what} currentVersion`, error.currentVersion, live.wf.version);
          refusedKeyed(request);
          return;
        }
      }
      const result = await expectResolved(what, call());
      expectFresh(what, result);
      const id = result.id;
      if (known !== undefined) {
        expectSame(`${what}: the id`, id, known);
      } else if (request.key !== undefined) {
        // A keyed create without id: the id comes from the key, and differs from every other id.
        expect([...FIXED_IDS, ...model.derived.values(), ...model.generated]).not.toContain(id);
        model.derived.set(request.key, id);
      } else {
        expect([...FIXED_IDS, ...model.derived.values(), ...model.generated]).not.toContain(id);
        model.generated.push(id);
      }
      const ttlSeconds = (request.kind === 'create' ? request.ttl : undefined) ?? defaultTtlOf(model, result.ttlSeconds);
      checkWritten(what, result, { id, type: request.type, status: request.status ?? DEFAULT_STATUS, state: request.state, version: 1, ttlSeconds });
      setLive(model, id, result);
      remember(model, id, request.key, fingerprint, 'created', 1, result.createdAt);
      return;
    }
    case 'save': {
      const { id } = request;
      const input = {
        state: clone(request.state),
        ...(request.type === undefined ? {} : { type: request.type }),
        ...(request.status === undefined ? {} : { status: request.status }),
        ...(request.ttl === undefined ? {} : { ttlSeconds: request.ttl }),
      };
      const call = () => real.store.save(id, clone(input), optionsOf(request));
      if (await settledByKey(what, model, id, request, call)) return;
      const live = model.live.get(id);
      if (request.expectedVersion !== undefined && !live) {
        await expectRejection(what, call(), NotFoundError);
        refusedKeyed(request);
        return;
      }
      if (request.expectedVersion !== undefined && live && live.wf.version !== request.expectedVersion) {
        const error = await expectRejection(what, call(), VersionConflictError);
        expectSame(`${what} currentVersion`, error.currentVersion, live.wf.version);
        refusedKeyed(request);
        return;
      }
      const result = await expectResolved(what, call());
      expectFresh(what, result);
      const version = (live?.wf.version ?? 0) + 1;
      const expected = {
        id,
        type: request.type ?? live?.wf.type ?? defaultTypeOf(model, result.type),
        status: request.status ?? live?.wf.status ?? DEFAULT_STATUS,
        state: request.state,
        version,
        ttlSeconds: request.ttl ?? live?.wf.ttlSeconds ?? defaultTtlOf(model, result.ttlSeconds),
      };
      checkWritten(what, result, expected, live?.wf.createdAt);
      setLive(model, id, result);
      remember(model, id, request.key, fingerprint, version === 1 ? 'created' : 'written', version, result.createdAt);
      return;
    }
    case 'update': {
      const { id } = request;
      const patch: WorkflowPatch = {
        ...(request.type === undefined ? {} : { type: request.type }),
        ...(request.status === undefined ? {} : { status: request.status }),
        ...(request.patch === undefined ? {} : { state: clone(request.patch) }),
      };
      const call = () => real.store.update(id, clone(patch), optionsOf(request));
      if (await settledByKey(what, model, id, request, call)) return;
      const live = model.live.get(id);
      if (!live) {
        await expectRejection(what, call(), NotFoundError);
        refusedKeyed(request);
        return;
      }
      if (request.expectedVersion !== undefined && live.wf.version !== request.expectedVersion) {
        const error = await expectRejection(what, call(), VersionConflictError);
        expectSame(`${what} currentVersion`, error.currentVersion, live.wf.version);
        refusedKeyed(request);
        return;
      }
      const result = await expectResolved(what, call());
      expectFresh(what, result);
      const version = live.wf.version + 1;
      const expected = {
        id,
        type: request.type ?? live.wf.type,
        status: request.status ?? live.wf.status,
        state: request.patch ? (mergePatch(live.wf.state, request.patch) as JsonObject) : live.wf.state,
        version,
        ttlSeconds: live.wf.ttlSeconds,
      };
      checkWritten(what, result, expected, live.wf.createdAt);
      setLive(model, id, result);
      remember(model, id, request.key, fingerprint, 'written', version, result.createdAt);
      return;
    }
    case 'delete': {
      const { id } = request;
      const call = () => real.store.delete(id, optionsOf(request));
      const live = model.live.get(id);
      const remembered = request.key === undefined ? undefined : model.keys.get(`${id}\u0000${request.key}`);
      if (remembered && remembered.fingerprint !== fingerprint) {
        const error = await expectRejection(`${what} (key bound to another request)`, call(), IdempotencyKeyReusedError);
        expectSame(`${what} error code`, error.code, 'idempotency-key-reused');
        covered('key reused for another request');
        return;
      }
      if (remembered) {
        const result = await expectResolved(`${what} (replay)`, call());
        expectSame(`${what} (replay) result`, result, { id, version: remembered.version });
        expectSame(`${what} replayOf`, replayOf(result), { outcome: remembered.outcome, version: remembered.version, changedSince: live !== undefined });
        covered(live ? 'delete replay, re-created since' : 'delete replay');
        return;
      }
      if (!live) {
        await expectRejection(what, call(), NotFoundError);
        refusedKeyed(request);
        return;
      }
      if (request.expectedVersion !== undefined && live.wf.version !== request.expectedVersion) {
        const error = await expectRejection(what, call(), VersionConflictError);
        expectSame(`${what} currentVersion`, error.currentVersion, live.wf.version);
        refusedKeyed(request);
        return;
      }
      const result = await expectResolved(what, call());
      expectFresh(what, result);
      expectSame(what, result, { id, version: live.wf.version });
      remember(model, id, request.key, fingerprint, 'deleted', live.wf.version, live.wf.createdAt);
      setAbsent(model, id);
      return;
    }
    case 'touch': {
      const { id } = request;
      const options = { ...optionsOf(request), ...(request.ttl === undefined ? {} : { ttlSeconds: request.ttl }) };
      const call = () => real.store.touch(id, options);
      if (await settledByKey(what, model, id, request, call)) return;
      const live = model.live.get(id);
      if (!live) {
        await expectRejection(what, call(), NotFoundError);
        refusedKeyed(request);
        return;
      }
      const before = Date.now();
      const result = await expectResolved(what, call());
      const after = Date.now();
      expectFresh(what, result);
      const ttlSeconds = request.ttl ?? live.wf.ttlSeconds;
      expectSame(what, { ...result, expiresAt: undefined }, { ...live.wf, ttlSeconds, expiresAt: undefined });
      // The TTL restarts while the call runs (this process and the backend share the machine's clock).
      const restartedAt = ms(result.expiresAt) - ttlSeconds * 1000;
      if (restartedAt < before - 5 || restartedAt > after + 5) {
        throw new Error(`${what}: expiresAt ${result.expiresAt} is not ${ttlSeconds} s after the call (${before}..${after})`);
      }
      setLive(model, id, result, undefined, 'keep');
      remember(model, id, request.key, fingerprint, 'touched', live.wf.version, result.createdAt);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Commands.

/** Not waiting to expire: a doomed workflow's fate is timing until the next `sleep`, so writes leave it alone. */
function idle(model: Readonly<Model>, id: string | undefined): boolean {
  return id === undefined || model.live.get(id)?.doomedUntil === undefined;
}

/** A write command: builds a concrete request from the model, sends it, and keeps keyed ones for retries. */
abstract class WriteCmd implements Cmd {
  check(model: Readonly<Model>): boolean {
    return this.request(model) !== undefined;
  }
  requestNow(model: Readonly<Model>): WriteRequest | undefined {
    return this.request(model);
  }
  async run(model: Model, real: Real): Promise<void> {
    const request = this.request(model);
    if (request === undefined) throw new Error('unreachable: check() passed');
    if (request.key !== undefined) model.sent.push(request);
    covered(`${request.kind}${request.key === undefined ? '' : ', keyed'}`);
    await execute(model, real, request);
  }
  /** The request to send now, or undefined when this command does not apply (unknown target, doomed workflow). */
  protected abstract request(model: Readonly<Model>): WriteRequest | undefined;
  abstract toString(): string;
}

/** Resolves a target to an id that may be written now. */
function writable(model: Readonly<Model>, target: Target): string | undefined {
  const id = resolve(model, target);
  return id !== undefined && idle(model, id) ? id : undefined;
}

class CreateCmd extends WriteCmd {
  constructor(
    readonly target: Target,
    readonly key: string | undefined,
    readonly type: string,
    readonly status: string | undefined,
    readonly state: JsonObject,
    readonly ttl: number | undefined,
  ) {
    super();
  }
  protected request(model: Readonly<Model>): WriteRequest | undefined {
    const id = writable(model, this.target);
    return id === undefined ? undefined : { kind: 'create', id, key: this.key, type: this.type, status: this.status, state: this.state, ttl: this.ttl };
  }
  toString(): string {
    return `create(${targetText(this.target)}, ${this.type}/${String(this.status)}, ${JSON.stringify(this.state)}, ttl ${String(this.ttl)}${keyText(this.key)})`;
  }
}

/** A create without id: with a key the id derives from the key (a retry finds the same workflow), else generated. */
class CreateWithoutIdCmd extends WriteCmd {
  constructor(
    readonly key: string | undefined,
    readonly type: string,
    readonly status: string | undefined,
    readonly state: JsonObject,
  ) {
    super();
  }
  protected request(model: Readonly<Model>): WriteRequest | undefined {
    if (this.key === undefined ? model.generated.length >= 3 : !idle(model, model.derived.get(this.key))) return undefined;
    return { kind: 'createWithoutId', key: this.key, type: this.type, status: this.status, state: this.state };
  }
  toString(): string {
    return `createWithoutId(${this.type}/${String(this.status)}, ${JSON.stringify(this.state)}${keyText(this.key)})`;
  }
}

class SaveCmd extends WriteCmd {
  constructor(
    readonly target: Target,
    readonly key: string | undefined,
    readonly type: string | undefined,
    readonly status: string | undefined,
    readonly state: JsonObject,
    readonly ttl: number | undefined,
    readonly mode: Expect,
  ) {
    super();
  }
  protected request(model: Readonly<Model>): WriteRequest | undefined {
    const id = writable(model, this.target);
    if (id === undefined) return undefined;
    const expectedVersion = expectedVersionOf(this.mode, model.live.get(id));
    return { kind: 'save', id, key: this.key, type: this.type, status: this.status, state: this.state, ttl: this.ttl, expectedVersion };
  }
  toString(): string {
    return `save(${targetText(this.target)}, ${String(this.type)}/${String(this.status)}, ${JSON.stringify(this.state)}, ttl ${String(this.ttl)}, expect ${String(this.mode)}${keyText(this.key)})`;
  }
}

/** A merge patch; with only labels it is a relabel. */
class UpdateCmd extends WriteCmd {
  constructor(
    readonly target: Target,
    readonly key: string | undefined,
    readonly type: string | undefined,
    readonly status: string | undefined,
    readonly patch: JsonObject | undefined,
    readonly mode: Expect,
  ) {
    super();
  }
  protected request(model: Readonly<Model>): WriteRequest | undefined {
    const id = writable(model, this.target);
    if (id === undefined) return undefined;
    const expectedVersion = expectedVersionOf(this.mode, model.live.get(id));
    return { kind: 'update', id, key: this.key, type: this.type, status: this.status, patch: this.patch, expectedVersion };
  }
  toString(): string {
    const kind = this.patch === undefined ? 'relabel' : 'update';
    return `${kind}(${targetText(this.target)}, ${String(this.type)}/${String(this.status)}${this.patch === undefined ? '' : `, ${JSON.stringify(this.patch)}`}, expect ${String(this.mode)}${keyText(this.key)})`;
  }
}

class DeleteCmd extends WriteCmd {
  constructor(
    readonly target: Target,
    readonly key: string | undefined,
    readonly mode: Expect,
  ) {
    super();
  }
  protected request(model: Readonly<Model>): WriteRequest | undefined {
    const id = writable(model, this.target);
    if (id === undefined) return undefined;
    return { kind: 'delete', id, key: this.key, expectedVersion: expectedVersionOf(this.mode, model.live.get(id)) };
  }
  toString(): string {
    return `delete(${targetText(this.target)}, expect ${String(this.mode)}${keyText(this.key)})`;
  }
}

class TouchCmd extends WriteCmd {
  constructor(
    readonly target: Target,
    readonly key: string | undefined,
    readonly ttl: number | undefined,
  ) {
    super();
  }
  protected request(model: Readonly<Model>): WriteRequest | undefined {
    const id = writable(model, this.target);
    return id === undefined ? undefined : { kind: 'touch', id, key: this.key, ttl: this.ttl };
  }
  toString(): string {
    return `touch(${targetText(this.target)}, ttl ${String(this.ttl)}${keyText(this.key)})`;
  }
}

/** Sends again, exactly, one of the keyed requests sent earlier in this run (a client retry). */
class RetryCmd implements Cmd {
  constructor(readonly pick: number) {}
  private request(model: Readonly<Model>): WriteRequest | undefined {
    if (model.sent.length === 0) return undefined;
    const request = model.sent[model.sent.length - 1 - (this.pick % model.sent.length)] as WriteRequest;
    return idle(model, targetOf(model, request)) ? request : undefined;
  }
  check(model: Readonly<Model>): boolean {
    return this.request(model) !== undefined;
  }
  async run(model: Model, real: Real): Promise<void> {
    const request = this.request(model);
    if (request === undefined) throw new Error('unreachable: check() passed');
    covered('retry');
    await execute(model, real, request);
  }
  toString(): string {
    return `retry(the ${this.pick === 0 ? 'last' : `${this.pick + 1}th last`} keyed request)`;
  }
}

/** A command on one target id (not a doomed one, unless it overrides `check`). */
abstract class TargetCmd implements Cmd {
  constructor(readonly target: Target) {}
  check(model: Readonly<Model>): boolean {
    return writable(model, this.target) !== undefined;
  }
  protected id(model: Model): string {
    const id = resolve(model, this.target);
    if (id === undefined) throw new Error('unreachable: check() passed');
    return id;
  }
  abstract run(model: Model, real: Real): Promise<void>;
  abstract toString(): string;
}

/**
 * `restore` of the workflow at version + 1 with new labels (or of a new one at version 1). `soon`: it expires ~50 ms
 * later; the id is then left alone until a `sleep` has let it expire.
 */
class RestoreCmd extends TargetCmd {
  constructor(
    target: Target,
    readonly type: string,
    readonly status: string,
    readonly soon: boolean,
  ) {
    super(target);
  }
  override check(model: Readonly<Model>): boolean {
    return super.check(model) && (!this.soon || model.expiryAllowed);
  }
  async run(model: Model, real: Real): Promise<void> {
    const id = this.id(model);
    const what = `${this.toString()} on ${id}`;
    const live = model.live.get(id);
    const now = Date.now();
    const expiresAtMs = now + (this.soon ? EXPIRE_SOON_MS : 3_600_000);
    const record: Workflow = {
      id,
      type: this.type,
      status: this.status,
      state: clone(live?.wf.state ?? { restored: true }),
      version: (live?.wf.version ?? 0) + 1,
      createdAt: live?.wf.createdAt ?? new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
      expiresAt: new Date(expiresAtMs).toISOString(),
      ttlSeconds: 3600,
    };
    const outcome = await expectResolved(what, real.store.restore(clone(record)));
    if (outcome === 'skipped-expired' && this.soon) {
      // Timing: the store saw the record after its expiresAt (a loaded machine). Nothing was written.
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAtMs - 5);
      return;
    }
    expectSame(what, outcome, 'written');
    setLive(model, id, record, this.soon ? expiresAtMs : undefined, 'reset');
    covered(this.soon ? 'restore, expiring soon' : 'restore');
  }
  toString(): string {
    return `restore(${targetText(this.target)}, ${this.type}/${this.status}, ${this.soon ? 'expires in ~50 ms' : 'expires in 1 h'})`;
  }
}

/** Waits until every "expire soon" workflow has expired. */
class SleepCmd implements Cmd {
  check(model: Readonly<Model>): boolean {
    return [...model.live.values()].some((live) => live.doomedUntil !== undefined);
  }
  async run(model: Model): Promise<void> {
    const doomed = [...model.live.entries()].filter(([, live]) => live.doomedUntil !== undefined);
    const until = Math.max(...doomed.map(([, live]) => live.doomedUntil as number)) + EXPIRY_MARGIN_MS;
    await sleep(until - Date.now());
    for (const [id] of doomed) expired(model, id);
  }
  toString(): string {
    return 'sleep(until the doomed have expired)';
  }
}

class GetCmd extends TargetCmd {
  override check(model: Readonly<Model>): boolean {
    return resolve(model, this.target) !== undefined;
  }
  async run(model: Model, real: Real): Promise<void> {
    const id = this.id(model);
    const live = model.live.get(id);
    const actual = await real.store.get(id);
    if (live?.doomedUntil !== undefined && actual === null) return; // expired already: allowed
    expectSame(`get(${id})`, actual, live ? live.wf : null);
  }
  toString(): string {
    return `get(${targetText(this.target)})`;
  }
}

// ------------------------------------------------------------------------------------------------ walks

function filterText(filter: Filter): string {
  const parts = [filter.type === undefined ? '' : `type ${filter.type}`, filter.status === undefined ? '' : `status ${filter.status}`].filter(Boolean);
  return parts.length === 0 ? 'all' : parts.join(' & ');
}

/**
 * One page of a walk, checked as it comes: at most `limit` items, none seen before in this walk, each matching the
 * filter and equal to the workflow as the model has it now (an "expire soon" one may also be missing). At the end
 * (null cursor): every workflow that existed and matched for the whole walk was returned.
 */
async function page(
  model: Model,
  real: Real,
  walk: OpenWalk | { no: number; filter: Filter; limit: number; cursor?: undefined },
  concurrent: WriteRequest[] = [],
): Promise<OpenWalk | null> {
  const what = `walk #${walk.no} (${filterText(walk.filter)}, limit ${walk.limit})`;
  const query: ListQuery = { ...walk.filter, limit: walk.limit, ...(walk.cursor === undefined ? {} : { cursor: walk.cursor }) };
  const open: OpenWalk =
    'seen' in walk ? walk : { no: walk.no, filter: walk.filter, limit: walk.limit, cursor: '', firstT: model.clock, seen: new Set(), pages: 0 };
  // Writes sent while the page is read (each to another id) may land before, between or after the page's reads: a
  // target may be listed as it was before its write or as it is after it.
  const before = new Map<string | undefined, Workflow | undefined>();
  for (const request of concurrent) {
    const id = targetOf(model, request);
    before.set(id, id === undefined ? undefined : model.live.get(id)?.wf);
  }
  const [result] = await Promise.all([
    expectResolved(`${what} page`, real.store.list(query)),
    ...concurrent.map((request) => execute(model, real, request)),
  ]);
  open.pages += 1;
  if (result.items.length > walk.limit) throw new Error(`${what}: ${result.items.length} items on a page of limit ${walk.limit}`);
  for (const item of result.items) {
    if (open.seen.has(item.id)) throw new Error(`${what}: ${item.id} returned twice (page ${open.pages})`);
    open.seen.add(item.id);
    if (!matches(item, walk.filter)) throw new Error(`${what}: ${item.id} (${item.type}/${item.status}) does not match the filter`);
    const live = model.live.get(item.id);
    if (before.has(item.id) || (before.has(undefined) && !live)) {
      // The target of a concurrent write (a create without id may have made it just now).
      const candidates = [before.get(item.id), live?.wf].filter((wf) => wf !== undefined);
      if (!candidates.some((wf) => JSON.stringify(wf) === JSON.stringify(item))) {
        throw new Error(`${what}: ${item.id} listed while written is neither its state before nor after the write: ${JSON.stringify(item)}`);
      }
      covered('page read while its items were written');
      continue;
    }
    if (!live) throw new Error(`${what}: ${item.id} returned on page ${open.pages}, but it does not exist now (${JSON.stringify(item)})`);
    expectSame(`${what}: ${item.id} as stored now`, item, live.wf);
  }
  if (result.nextCursor !== null) {
    if (open.pages >= MAX_PAGES) throw new Error(`${what}: no end after ${open.pages} pages`);
    open.cursor = result.nextCursor;
    return open;
  }
  // The walk is over: what had to be in it?
  const lastT = model.clock;
  const missing: string[] = [];
  for (const [id, entries] of model.timeline) {
    const first = stateAt(entries, open.firstT);
    const during = [...(first ? [first] : []), ...entries.filter((e) => e.t > open.firstT && e.t <= lastT)];
    const throughout = first !== undefined && during.every((e) => e.wf !== null && !e.doomed && matches(e.wf, walk.filter));
    if (throughout && !open.seen.has(id)) missing.push(id);
  }
  covered('walk finished');
  if (model.clock > open.firstT) covered('walk with changes between its pages');
  if (open.seen.size > 0 && open.pages > 2) covered('walk of 3+ pages returning something');
  if (missing.length > 0) {
    throw new Error(`${what}: missed ${missing.join(', ')}, which existed and matched for the whole walk (returned: ${[...open.seen].join(', ') || 'nothing'})`);
  }
  return null;
}

class StartWalkCmd implements Cmd {
  constructor(
    readonly filter: Filter,
    readonly limit: number,
  ) {}
  check(model: Readonly<Model>): boolean {
    return model.walks.length < MAX_OPEN_WALKS;
  }
  async run(model: Model, real: Real): Promise<void> {
    model.walkSequence += 1;
    const open = await page(model, real, { no: model.walkSequence, filter: this.filter, limit: this.limit });
    if (open) model.walks.push(open);
  }
  toString(): string {
    return `startWalk(${filterText(this.filter)}, limit ${this.limit})`;
  }
}

/** The next page of an open walk; with `during`, a write sent at the same time (it lands somewhere in the page's reads). */
class NextPageCmd implements Cmd {
  constructor(
    readonly walk: number,
    readonly during?: WriteCmd,
  ) {}
  check(model: Readonly<Model>): boolean {
    return model.walks.length > 0 && (this.during === undefined || this.during.requestNow(model) !== undefined);
  }
  async run(model: Model, real: Real): Promise<void> {
    const index = this.walk % model.walks.length;
    const walk = model.walks[index] as OpenWalk;
    const concurrent = this.during?.requestNow(model);
    if (concurrent?.key !== undefined) model.sent.push(concurrent);
    if ((await page(model, real, walk, concurrent === undefined ? [] : [concurrent])) === null) model.walks.splice(index, 1);
  }
  toString(): string {
    return this.during === undefined ? `nextPage(${this.walk})` : `nextPage(${this.walk}) while ${this.during.toString()}`;
  }
}

/** The next page of an open walk while every live workflow (not expiring) is relabelled at the same time. */
class PageWhileRelabellingCmd implements Cmd {
  constructor(
    readonly walk: number,
    readonly type: string,
    readonly status: string,
  ) {}
  check(model: Readonly<Model>): boolean {
    return model.walks.length > 0;
  }
  async run(model: Model, real: Real): Promise<void> {
    const index = this.walk % model.walks.length;
    const walk = model.walks[index] as OpenWalk;
    const relabels = [...model.live.entries()]
      .filter(([, live]) => live.doomedUntil === undefined)
      .map(([id, live]): WriteRequest => ({ kind: 'update', id, type: live.wf.type === this.type ? undefined : this.type, status: this.status }));
    covered('page read while every workflow is relabelled');
    if ((await page(model, real, walk, relabels)) === null) model.walks.splice(index, 1);
  }
  toString(): string {
    return `nextPage(${this.walk}) while relabelling every workflow to ${this.type}/${this.status}`;
  }
}

/** After the commands: every open walk is followed to its end, then every id is read back and counted. */
async function finish(model: Model, real: Real): Promise<void> {
  for (const walk of model.walks.splice(0)) {
    let open: OpenWalk | null = walk;
    while (open) open = await page(model, real, open);
  }
  const ids = new Set([...FIXED_IDS, ...model.derived.values(), ...model.generated]);
  let doomed = 0;
  for (const id of ids) {
    const live = model.live.get(id);
    if (live?.doomedUntil !== undefined) doomed += 1;
    const actual = await real.store.get(id);
    if (live?.doomedUntil !== undefined && actual === null) continue;
    expectSame(`final get(${id})`, actual, live ? live.wf : null);
  }
  if (doomed === 0) expectSame('final count()', await real.store.count(), model.live.size);
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries.

/** Workflows the run starts with (unkeyed creates of some fixed ids), so walks have pages to cross from the start. */
function initialArbitrary(): fc.Arbitrary<CreateCmd[]> {
  return fc
    .uniqueArray(
      fc.record({ i: fc.integer({ min: 0, max: FIXED_IDS.length - 1 }), type: fc.constantFrom(...TYPES), status: fc.constantFrom(...STATUSES) }),
      { minLength: 2, maxLength: FIXED_IDS.length, selector: (w) => w.i },
    )
    .map((workflows) => workflows.map((w) => new CreateCmd({ kind: 'fixed', i: w.i }, undefined, w.type, w.status, { initial: true }, undefined)));
}

function commandArbitrary(): fc.Arbitrary<Cmd> {
  const target: fc.Arbitrary<Target> = fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: FIXED_IDS.length - 1 }).map((i): Target => ({ kind: 'fixed', i })), weight: 8 },
    { arbitrary: fc.integer({ min: 0, max: KEYS.length - 1 }).map((k): Target => ({ kind: 'derived', k })), weight: 2 },
    { arbitrary: fc.integer({ min: 0, max: 2 }).map((i): Target => ({ kind: 'generated', i })), weight: 1 },
    { arbitrary: fc.integer({ min: 0, max: 3 }).map((i): Target => ({ kind: 'recent', i })), weight: 4 },
  );
  const key = fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: fc.constantFrom(...KEYS), weight: 3 });
  const type = fc.constantFrom(...TYPES);
  const maybeType = fc.option(type, { nil: undefined, freq: 3 });
  const status = fc.constantFrom(...STATUSES);
  const maybeStatus = fc.option(status, { nil: undefined, freq: 3 });
  const state = fc.constantFrom(...STATES);
  const patch = fc.constantFrom(...PATCHES);
  const ttl = fc.constantFrom(...TTLS);
  const mode = fc.constantFrom<Expect>('none', 'none', 'current', 'stale', 1, 2);
  const filter: fc.Arbitrary<Filter> = fc.oneof(
    fc.constant({}),
    type.map((t) => ({ type: t })),
    fc.constantFrom(...FILTER_STATUSES).map((s) => ({ status: s })),
    fc.tuple(type, fc.constantFrom(...FILTER_STATUSES)).map(([t, s]) => ({ type: t, status: s })),
  );
  const labels = fc.oneof(
    fc.tuple(type, fc.constant(undefined)),
    fc.tuple(fc.constant(undefined), status),
    fc.tuple(type, status),
  );
  const write = fc.oneof(
    { arbitrary: fc.tuple(target, key, type, maybeStatus, state, ttl).map(([t, k, y, s, d, l]): WriteCmd => new CreateCmd(t, k, y, s, d, l)), weight: 4 },
    { arbitrary: fc.tuple(key, type, maybeStatus, state).map(([k, y, s, d]): WriteCmd => new CreateWithoutIdCmd(k, y, s, d)), weight: 2 },
    {
      arbitrary: fc.tuple(target, key, maybeType, maybeStatus, state, ttl, mode).map(([t, k, y, s, d, l, m]): WriteCmd => new SaveCmd(t, k, y, s, d, l, m)),
      weight: 4,
    },
    { arbitrary: fc.tuple(target, key, maybeType, maybeStatus, patch, mode).map(([t, k, y, s, p, m]): WriteCmd => new UpdateCmd(t, k, y, s, p, m)), weight: 3 },
    { arbitrary: fc.tuple(target, key, labels, mode).map(([t, k, [y, s], m]): WriteCmd => new UpdateCmd(t, k, y, s, undefined, m)), weight: 3 },
    { arbitrary: fc.tuple(target, key, mode).map(([t, k, m]): WriteCmd => new DeleteCmd(t, k, m)), weight: 3 },
    { arbitrary: fc.tuple(target, key, ttl).map(([t, k, l]): WriteCmd => new TouchCmd(t, k, l)), weight: 2 },
  );
  const walk = fc.nat({ max: MAX_OPEN_WALKS - 1 });
  const weighted = (arbitrary: fc.Arbitrary<Cmd>, weight: number) => ({ arbitrary, weight });
  return fc.oneof(
    weighted(write, 21),
    weighted(fc.nat({ max: 5 }).map((n) => new RetryCmd(n)), 4),
    weighted(fc.tuple(target, type, status).map(([t, y, s]) => new RestoreCmd(t, y, s, false)), 1),
    weighted(fc.tuple(target, type, status).map(([t, y, s]) => new RestoreCmd(t, y, s, true)), 2),
    weighted(fc.constant(new SleepCmd()), 2),
    weighted(target.map((t) => new GetCmd(t)), 1),
    weighted(fc.tuple(filter, fc.integer({ min: 1, max: 3 })).map(([f, l]) => new StartWalkCmd(f, l)), 3),
    weighted(walk.map((w) => new NextPageCmd(w)), 10),
    weighted(fc.tuple(walk, write).map(([w, c]) => new NextPageCmd(w, c)), 3),
    weighted(fc.tuple(walk, type, status).map(([w, y, s]) => new PageWhileRelabellingCmd(w, y, s)), 2),
  );
}

// ---------------------------------------------------------------------------------------------------------------

export interface ModelSuiteOptions {
  /** Runs of the property (each in a fresh tenant: a few initial workflows, up to 50 commands, then every open walk finished). */
  runs: number;
}

/** One run: a fresh tenant, its initial workflows, the commands, then every open walk finished and every id read back. */
async function runScenario(store: WorkflowStore, expiryAllowed: boolean, initial: readonly CreateCmd[], commands: Iterable<Cmd>): Promise<void> {
  const model = newModel(expiryAllowed);
  const real: Real = { store: store.forTenant(freshTenant()) };
  for (const create of initial) await create.run(model, real);
  await fc.asyncModelRun(() => ({ model, real }), commands);
  await finish(model, real);
  covered('runs');
  covered('changes of state', model.clock);
}

/** What a few hundred runs must have exercised at least once, or the model tests less than it claims. */
const MUST_COVER = [
  'walk finished',
  'walk with changes between its pages',
  'walk of 3+ pages returning something',
  'page read while its items were written',
  'page read while every workflow is relabelled',
  'replay, unchanged',
  'replay, changed since',
  'replay answered from the history',
  'delete replay',
  'key reused for another request',
  'keyed write refused',
  'keyed created',
  'keyed written',
  'keyed touched',
  'keyed deleted',
  'createWithoutId, keyed',
  'restore',
  'restore, expiring soon',
];

/**
 * `makeStore()` is called once per suite; every run works in a tenant of its own (`forTenant`), so runs never see
 * each other's data. About one run in six may use "expire soon" (each such run sleeps ~80 ms once or twice).
 */
export function describeModelSuite(name: string, makeStore: MakeModelStore, options: ModelSuiteOptions): void {
  describe(`model-based walks and idempotency: ${name}`, () => {
    let store: ModelStore | undefined;
    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await store?.close();
    });
    const opened = (): ModelStore => {
      if (!store) throw new Error('the store did not open');
      return store;
    };

    it(`list walks and idempotency keys agree with the model (${options.runs} runs)`, async () => {
      coverage.clear();
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 5 }).map((n) => n === 5),
          initialArbitrary(),
          fc.commands([commandArbitrary()], { maxCommands: 50, size: 'max' }),
          (expiryAllowed, initial, commands) => runScenario(opened(), expiryAllowed, initial, commands),
        ),
        { numRuns: options.runs },
      );
      const missing = MUST_COVER.filter((what) => !coverage.has(what));
      if (missing.length > 0) {
        throw new Error(`the runs never exercised: ${missing.join(', ')} (coverage: ${JSON.stringify(Object.fromEntries(coverage))})`);
      }
    }, 600_000);

    // Counterexamples fast-check found and shrank, pinned so they run every time whatever the seed.
    const w0: Target = { kind: 'fixed', i: 0 };
    it('pinned: a replay answered with a workflow deleted and re-created since says changedSince (same version, another creation time)', async () => {
      await runScenario(opened(), false, [], [
        new CreateCmd(w0, 'op-a', 'tx', undefined, { n: 1 }, undefined),
        new DeleteCmd(w0, undefined, 'none'),
        new CreateCmd(w0, undefined, 'tx', undefined, { n: 2 }, undefined),
        new RetryCmd(0),
      ]);
    });

    it('pinned: a key keeps the bound of its write when a later restore makes the workflow expire sooner: the retry answers NotFound', async () => {
      await runScenario(opened(), true, [], [
        new CreateCmd(w0, 'op-a', 'tx', undefined, { n: 1 }, undefined),
        new RestoreCmd(w0, 'tx', 's1', true),
        new SleepCmd(),
        new RetryCmd(0),
      ]);
    });
  });
}
