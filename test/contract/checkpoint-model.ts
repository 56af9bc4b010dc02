/**
 * Model-based (fast-check) test of `WorkflowCheckpointSaver`'s `keepLast` pruning and of its channel values shared
 * through counted references, backend-neutral (checkpoint-model.memory.spec.ts, checkpoint-model.redis.spec.ts).
 *
 * Every run applies one random command sequence to two savers over the same store, each in a tenant of its own: the
 * saver under test with `keepLast: K` (K = 1..3) and an unpruned one (`keepLast: 0`). The oracle is a pure model of
 * what LangGraph expects of any checkpointer (the semantics of its MemorySaver, adapted to channel values stored once
 * per change): a read of a checkpoint returns the values of the channels it changed (`newVersions` with a value)
 * and those inherited from its parent at the same version; pending writes follow WRITES_IDX_MAP (idx >= 0: the first
 * write of (task, idx) wins; negative: a later one replaces it), in `writesSortKey` order; `getDeltaChannelHistory`
 * is LangGraph's own walk (BaseCheckpointSaver) over the model's parent chain.
 *
 * Commands, on threads th-0/th-1 and namespaces '' and 'child': put (a child of the namespace's latest, or a fork of
 * an earlier stored checkpoint) changing a random subset of regular channels a/b/c and delta channels d1/d2 (a delta
 * channel's value is a `DeltaSnapshot` or absent, its version advancing anyway; an unchanged one is absent, as
 * LangGraph writes them), putWrites (regular and special channels) to a stored checkpoint, getTuple (latest, by id,
 * pruned or unknown ids), list (with/without thread, namespace, before, limit, metadata filter),
 * getDeltaChannelHistory, deleteThread.
 *
 * Properties, checked after every put (and putWrites) on the namespace it changed, and at the end of every run on all:
 *  (1) the K newest checkpoints of each namespace are stored and read (getTuple, list) exactly as the oracle's
 *      (checkpoint, metadata, pendingWrites, parentConfig);
 *  (2) every checkpoint the pruned saver still lists reads exactly as the oracle's;
 *  (3) `getDeltaChannelHistory` of each of the K newest, for the delta channels it has a version but no value of
 *      (what LangGraph replays), equals the oracle's; so does that of every stored checkpoint whose whole walk is
 *      still stored, and (unpruned saver) that of any checkpoint for any channels;
 *  (4) the pruned saver stores nothing older than the oldest delta-snapshot anchor of its K newest (an anchor: for
 *      a delta channel a checkpoint carries without a value, the nearest ancestor holding its `DeltaSnapshot`), and
 *      everything the K newest need (each ancestor their delta walks visit) is still there;
 *  (5) the unpruned saver lists every checkpoint ever put (until deleteThread).
 * A harness may audit the backend after every command (Redis: TTL on every key, no value without a reference and no
 * reference without its value, no key of a deleted thread left).
 *
 * Two generators: "anchored" (a delta channel's first write on a branch is a snapshot, and forks start only from
 * checkpoints whose delta walks are still wholly stored) and "free" (snapshots at random, as LangGraph writes them:
 * a DeltaChannel's first snapshot comes after `snapshotFrequency` updates, 100 by default; forks from any stored
 * checkpoint). The pinned tests are counterexamples the properties found, shrunk:
 *  - Redis: a put that prunes a checkpoint without pending writes fails in save-12 (cpDrop splits the missing "i"
 *    field: HGET gives false, cpSplit only handles nil and '') after writing part of its effects;
 *  - a delta channel with no snapshot on the path yet: the kept checkpoint's walk goes to the root, but nothing
 *    anchors that path and pruning drops the ancestors holding the channel's writes;
 *  - a stored checkpoint older than the K newest may already have lost the ancestor its walk needs; a fork from it
 *    makes a kept checkpoint whose walk breaks.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunnableConfig } from '@langchain/core/runnables';
import fc from 'fast-check';
import {
  DeltaSnapshot,
  ERROR,
  INTERRUPT,
  RESUME,
  WRITES_IDX_MAP,
  compareWritesSortKeys,
  writesSortKey,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type DeltaChannelHistory,
  type PendingWrite,
} from '@langchain/langgraph-checkpoint';
import { WorkflowCheckpointSaver, type WorkflowStore } from '#workflow-store';

export type CheckpointModelStore = WorkflowStore & { close(): Promise<void> };

/** What a saver must hold of one thread right now, for a backend audit. */
export interface ThreadAudit {
  thread: string;
  /** Whether the thread's workflow exists (false before its first put and after deleteThread). */
  exists: boolean;
  /** Namespace -> ids of the checkpoints the saver holds (exactly). */
  stored: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface CheckpointModelHarness {
  name: string;
  /** A connected store (once per suite); each run works in tenants of its own. */
  makeStore(): Promise<CheckpointModelStore>;
  /** Backend checks after every command, for the threads of one tenant (one saver's). */
  audit?(store: WorkflowStore, tenant: string, threads: readonly ThreadAudit[]): Promise<void>;
}

export interface CheckpointModelOptions {
  /** Runs of the anchored property. */
  runs: number;
  /** Runs of the free property. */
  freeRuns: number;
  /** Commands per run, at most. */
  maxCommands?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Pools.

const THREADS = ['th-0', 'th-1'] as const;
const NAMESPACES = ['', 'child'] as const;
const REGULAR = ['a', 'b', 'c'] as const;
const DELTA = ['d1', 'd2'] as const;
const CHANNELS: readonly string[] = [...REGULAR, ...DELTA];
/** Channels pending writes go to: regular, delta and special ones (WRITES_IDX_MAP). */
const WRITE_CHANNELS: readonly string[] = ['a', 'd1', 'd2', ERROR, INTERRUPT, RESUME];
const TASKS = ['task-1', 'task-2', 'task-3'];
const TASK_PATHS = ['', '~0', '~1:n'];
const TAGS = ['x', 'y'] as const;
/** Channels `getDeltaChannelHistory` of the unpruned saver is asked about: all, and one never written. */
const HISTORY_CHANNELS: readonly string[] = [...CHANNELS, 'zz'];

/** What the runs exercised (summed over one property), so a vacuous model cannot pass unnoticed. */
const coverage = new Map<string, number>();
function covered(what: string, amount = 1): void {
  coverage.set(what, (coverage.get(what) ?? 0) + amount);
}

let tenantSequence = 0;
function freshTenant(label: string): string {
  tenantSequence += 1;
  const random = Math.floor(Math.random() * 36 ** 5).toString(36);
  return `${label}${Date.now().toString(36)}${random}${tenantSequence.toString(36)}`.slice(0, 32);
}

/** uuid6-shaped ids that sort by creation (as LangGraph's do), unique within a run. */
function checkpointId(seq: number): string {
  return `1f000000-0000-6000-8000-${seq.toString(16).padStart(12, '0')}`;
}

/** An id after every id a run makes (for `before` and unknown-id reads). */
const AFTER_ALL = 'ffffffff-ffff-6fff-bfff-ffffffffffff';

// ---------------------------------------------------------------------------------------------------------------
// The model.

interface MWrite {
  taskId: string;
  idx: number;
  channel: string;
  value: unknown;
  taskPath: string;
}

interface MCheckpoint {
  thread: string;
  ns: string;
  id: string;
  parentId: string | undefined;
  /** As put (its channel_values as LangGraph passes them: every regular channel, delta ones only as snapshots). */
  checkpoint: Checkpoint;
  metadata: CheckpointMetadata;
  /** The current value of each regular channel on this checkpoint's branch. */
  regular: Record<string, unknown>;
  /** What a read returns as channel_values: values it changed, and its parent's at the same version. */
  values: Record<string, unknown>;
  /** Delta channel -> nearest checkpoint on its path holding its DeltaSnapshot (for channels it has no value of in the put). */
  anchors: Map<string, string>;
  /** "task\0idx" -> write. */
  writes: Map<string, MWrite>;
}

interface MThread {
  name: string;
  exists: boolean;
  /** Every checkpoint put (since the last deleteThread), by namespace and id. */
  namespaces: Map<string, Map<string, MCheckpoint>>;
  /** Namespace -> ids the pruned saver holds: learned from it after each put, once checked against the bounds. */
  stored: Map<string, Set<string>>;
}

interface Model {
  keepLast: number;
  free: boolean;
  seq: number;
  threads: Map<string, MThread>;
}

interface Real {
  store: WorkflowStore;
  pruned: WorkflowCheckpointSaver;
  full: WorkflowCheckpointSaver;
  prunedTenant: string;
  fullTenant: string;
  harness: CheckpointModelHarness;
}

type Cmd = fc.AsyncCommand<Model, Real>;

function newModel(keepLast: number, free: boolean): Model {
  const threads = new Map<string, MThread>();
  for (const name of THREADS) threads.set(name, { name, exists: false, namespaces: new Map(), stored: new Map() });
  return { keepLast, free, seq: 0, threads };
}

function threadOf(model: Model, index: number): MThread {
  return model.threads.get(THREADS[index % THREADS.length] as string) as MThread;
}

function namespaceOf(thread: MThread, ns: string): Map<string, MCheckpoint> {
  let checkpoints = thread.namespaces.get(ns);
  if (!checkpoints) {
    checkpoints = new Map();
    thread.namespaces.set(ns, checkpoints);
  }
  return checkpoints;
}

/** Ids put in the namespace, newest first. */
function allIds(thread: MThread, ns: string): string[] {
  return [...(thread.namespaces.get(ns)?.keys() ?? [])].sort().reverse();
}

/** Ids the pruned saver holds, newest first. */
function storedIds(thread: MThread, ns: string): string[] {
  return [...(thread.stored.get(ns) ?? [])].sort().reverse();
}

function sortedWrites(c: MCheckpoint): MWrite[] {
  return [...c.writes.values()].sort((a, b) => compareWritesSortKeys(writesSortKey(a.taskPath, a.taskId, a.idx), writesSortKey(b.taskPath, b.taskId, b.idx)));
}

function pendingWritesOf(c: MCheckpoint): CheckpointPendingWrite[] {
  return sortedWrites(c).map((w): CheckpointPendingWrite => [w.taskId, w.channel, w.value]);
}

function configOf(thread: string, ns: string, id: string): RunnableConfig {
  return { configurable: { thread_id: thread, checkpoint_ns: ns, checkpoint_id: id } };
}

/** The tuple a read of `c` must return. */
function expectedTuple(c: MCheckpoint): CheckpointTuple {
  const tuple: CheckpointTuple = {
    config: configOf(c.thread, c.ns, c.id),
    checkpoint: { ...c.checkpoint, channel_values: { ...c.values } },
    metadata: c.metadata,
    pendingWrites: pendingWritesOf(c),
  };
  if (c.parentId !== undefined) tuple.parentConfig = configOf(c.thread, c.ns, c.parentId);
  return tuple;
}

/** LangGraph's walk (BaseCheckpointSaver.getDeltaChannelHistory) over the model's parent chain. */
function oracleHistory(thread: MThread, ns: string, id: string, channels: readonly string[]): Record<string, DeltaChannelHistory> {
  const checkpoints = thread.namespaces.get(ns) ?? new Map<string, MCheckpoint>();
  const collected = new Map<string, CheckpointPendingWrite[]>(channels.map((ch) => [ch, []]));
  const seeds = new Map<string, unknown>();
  const remaining = new Set(channels);
  let cursor = checkpoints.get(id)?.parentId;
  while (cursor !== undefined && remaining.size > 0) {
    const c = checkpoints.get(cursor);
    if (!c) break;
    const perChannel = new Map<string, CheckpointPendingWrite[]>();
    for (const write of pendingWritesOf(c)) {
      if (!remaining.has(write[1])) continue;
      const block = perChannel.get(write[1]) ?? [];
      block.push(write);
      perChannel.set(write[1], block);
    }
    for (const [ch, block] of perChannel) collected.get(ch)?.push(...block.slice().reverse());
    for (const ch of [...remaining]) {
      if (Object.prototype.hasOwnProperty.call(c.values, ch)) {
        seeds.set(ch, c.values[ch]);
        remaining.delete(ch);
      }
    }
    cursor = c.parentId;
  }
  const result: Record<string, DeltaChannelHistory> = {};
  for (const ch of channels) {
    const entry: DeltaChannelHistory = { writes: (collected.get(ch) ?? []).slice().reverse() };
    if (seeds.has(ch)) entry.seed = seeds.get(ch);
    result[ch] = entry;
  }
  return result;
}

/** Delta channels `c` has a version of but no value of: what LangGraph asks `getDeltaChannelHistory` for. */
function replayedChannels(c: MCheckpoint): string[] {
  return DELTA.filter((ch) => c.checkpoint.channel_versions[ch] !== undefined && !Object.prototype.hasOwnProperty.call(c.values, ch));
}

interface Need {
  channel: string;
  /** The ancestors its walk visits, nearest first (the last one holds the seed unless `toRoot`). */
  path: string[];
  /** No ancestor holds a value of the channel: the walk goes to the root. */
  toRoot: boolean;
}

/** What `c`'s delta walks need: for each replayed channel, every ancestor back to the one holding a value. */
function needsOf(thread: MThread, c: MCheckpoint): Need[] {
  const checkpoints = thread.namespaces.get(c.ns) ?? new Map<string, MCheckpoint>();
  return replayedChannels(c).map((channel) => {
    const path: string[] = [];
    let cursor = c.parentId;
    while (cursor !== undefined) {
      const ancestor = checkpoints.get(cursor) as MCheckpoint;
      // Before the channel existed on the path there is nothing of it to replay (no version: no writes of it).
      if (ancestor.checkpoint.channel_versions[channel] === undefined) return { channel, path, toRoot: true };
      path.push(cursor);
      if (Object.prototype.hasOwnProperty.call(ancestor.values, channel)) return { channel, path, toRoot: false };
      cursor = ancestor.parentId;
    }
    return { channel, path, toRoot: true };
  });
}

/** Whether every ancestor `c`'s delta walks visit is still stored by the pruned saver. */
function wholeWalkStored(thread: MThread, c: MCheckpoint): boolean {
  const stored = thread.stored.get(c.ns) ?? new Set<string>();
  return needsOf(thread, c).every((need) => need.path.every((id) => stored.has(id)));
}

/** JSON-shaped copy (a DeltaSnapshot becomes { lg_name, value }; undefined members go), for comparisons. */
function plain<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

async function collect(iterable: AsyncGenerator<CheckpointTuple>): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const tuple of iterable) out.push(tuple);
  return out;
}

function idOfTuple(tuple: CheckpointTuple): string {
  return tuple.config.configurable?.checkpoint_id as string;
}

function expectTuple(actual: CheckpointTuple | undefined, c: MCheckpoint, what: string): void {
  if (actual === undefined) throw new Error(`${what}: checkpoint ${c.thread}/${c.ns}/${c.id} is missing`);
  expect({ what, tuple: plain(actual) }).toEqual({ what, tuple: plain(expectedTuple(c)) });
}

// ---------------------------------------------------------------------------------------------------------------
// Checks.

/** Properties (1)-(5) on one namespace of one thread: both savers' lists, latest reads and the K newest's walks. */
async function checkNamespace(model: Model, real: Real, thread: MThread, ns: string): Promise<void> {
  const checkpoints = thread.namespaces.get(ns) ?? new Map<string, MCheckpoint>();
  const all = allIds(thread, ns);
  const where = `${thread.name}/'${ns}'`;
  const get = (id: string): MCheckpoint => checkpoints.get(id) as MCheckpoint;

  // (5) and (2) on the unpruned saver: everything ever put, each read as the oracle's.
  const fullListed = await collect(real.full.list({ configurable: { thread_id: thread.name, checkpoint_ns: ns } }));
  expect({ where, unpruned: fullListed.map(idOfTuple) }).toEqual({ where, unpruned: all });
  for (const tuple of fullListed) expectTuple(tuple, get(idOfTuple(tuple)), `unpruned list ${where}`);

  // The pruned saver lists what the model learned it holds, newest first.
  const listed = await collect(real.pruned.list({ configurable: { thread_id: thread.name, checkpoint_ns: ns } }));
  const ids = listed.map(idOfTuple);
  expect({ where, pruned: ids }).toEqual({ where, pruned: storedIds(thread, ns) });
  // (2) every stored checkpoint reads as the oracle's.
  for (const tuple of listed) expectTuple(tuple, get(idOfTuple(tuple)), `pruned list ${where}`);

  // (1) the K newest are stored (and so read as the oracle's, above).
  const kept = all.slice(0, model.keepLast);
  const missing = kept.filter((id) => !ids.includes(id));
  if (missing.length > 0) throw new Error(`${where}: keepLast ${model.keepLast}: the newest checkpoints ${missing.join(', ')} were pruned (stored: ${ids.join(', ')})`);

  // (4) upper bound: nothing older than the oldest anchor of a checkpoint that stays (the K newest, and, walking
  // down, every stored one at or above the floor so far: a stored checkpoint is one a fork may start from). An
  // anchor '' (a delta channel with no snapshot on the path yet: replayed from the first checkpoint) keeps all.
  let floor: string | undefined;
  let lowest: string | undefined;
  let seen = 0;
  for (const id of ids) {
    if (floor !== undefined && id < floor) break;
    seen += 1;
    for (const anchor of get(id).anchors.values()) if (lowest === undefined || anchor < lowest) lowest = anchor;
    if (seen >= model.keepLast) floor = lowest !== undefined && lowest < id ? lowest : id;
  }
  if (lowest === '') covered('kept back to the first checkpoint');
  if (floor !== undefined && lowest !== '' && all.length > model.keepLast) {
    const bound = floor;
    const extra = ids.filter((id) => id < bound);
    if (extra.length > 0) throw new Error(`${where}: keepLast ${model.keepLast}: ${extra.join(', ')} are older than the floor ${bound} of what stays, yet stored`);
    if (ids.length > kept.length) covered('kept beyond K for an anchor');
  }
  if (ids.length < all.length) covered('pruned');

  // (3) the kept checkpoints' delta walks match the oracle's, and (4) lower bound: everything they visit is stored
  // (checked second: a pruned ancestor without pending writes of the channel changes no walk yet, but the writes
  // that produce the channel's next value are stored on exactly those ancestors).
  for (const id of kept) {
    const c = get(id);
    const channels = replayedChannels(c);
    if (channels.length > 0) {
      covered('kept checkpoint replaying a delta channel');
      const history = await real.pruned.getDeltaChannelHistory({ config: configOf(thread.name, ns, id), channels });
      expect({ where, id, channels, history: plain(history) }).toEqual({ where, id, channels, history: plain(oracleHistory(thread, ns, id, channels)) });
      if (Object.values(history).some((h) => h.seed !== undefined)) covered('history with a seed');
      if (Object.values(history).some((h) => h.writes.length > 0)) covered('history with writes');
    }
    for (const need of needsOf(thread, c)) {
      const gone = need.path.filter((ancestor) => !ids.includes(ancestor));
      if (gone.length > 0) {
        throw new Error(
          `${where}: keepLast ${model.keepLast}: kept checkpoint ${id} replays delta channel ${need.channel} from ` +
            `${need.toRoot ? 'the root (no ancestor holds a value of it)' : `ancestor ${need.path.at(-1)}`}; ` +
            `its walk visits ${need.path.join(', ')}, but ${gone.join(', ')} were pruned`,
        );
      }
    }
  }

  // (3) on the unpruned saver: the newest checkpoint's walk for every channel it has a version of.
  const newestOfAll = all[0];
  if (newestOfAll !== undefined) {
    const channels = CHANNELS.filter((ch) => get(newestOfAll).checkpoint.channel_versions[ch] !== undefined);
    const history = await real.full.getDeltaChannelHistory({ config: configOf(thread.name, ns, newestOfAll), channels });
    expect({ where, newestOfAll, channels, history: plain(history) }).toEqual({ where, newestOfAll, channels, history: plain(oracleHistory(thread, ns, newestOfAll, channels)) });
    if (Object.values(history).some((h) => h.writes.length > 0)) covered('history with writes');
  }

  // Pruned checkpoints are gone for good.
  for (const id of all) {
    if (ids.includes(id)) continue;
    expect({ where, id, pruned: await real.pruned.getTuple(configOf(thread.name, ns, id)) }).toEqual({ where, id, pruned: undefined });
    covered('read of a pruned checkpoint');
  }

  // Latest reads.
  const newest = all[0];
  for (const [name, saver] of [
    ['pruned', real.pruned],
    ['unpruned', real.full],
  ] as const) {
    const latest = await saver.getTuple({ configurable: { thread_id: thread.name, checkpoint_ns: ns } });
    if (newest === undefined) expect({ where, name, latest }).toEqual({ where, name, latest: undefined });
    else expectTuple(latest, get(newest), `${name} latest ${where}`);
  }
}

async function audit(model: Model, real: Real): Promise<void> {
  const auditor = real.harness.audit;
  if (!auditor) return;
  const full: ThreadAudit[] = [];
  const pruned: ThreadAudit[] = [];
  for (const thread of model.threads.values()) {
    const all = new Map<string, ReadonlySet<string>>();
    for (const [ns, checkpoints] of thread.namespaces) if (checkpoints.size > 0) all.set(ns, new Set(checkpoints.keys()));
    const stored = new Map<string, ReadonlySet<string>>();
    for (const [ns, ids] of thread.stored) if (ids.size > 0) stored.set(ns, ids);
    full.push({ thread: thread.name, exists: thread.exists, stored: all });
    pruned.push({ thread: thread.name, exists: thread.exists, stored });
  }
  await auditor(real.store, real.fullTenant, full);
  await auditor(real.store, real.prunedTenant, pruned);
}

// ---------------------------------------------------------------------------------------------------------------
// Commands.

/** One channel's change in a put: a regular channel's new value, or a delta channel's write (a snapshot or not). */
export interface Change {
  value: number;
  snapshot: boolean;
}

export class PutCmd implements Cmd {
  constructor(
    readonly thread: number,
    readonly ns: number,
    /** null: a child of the namespace's latest; n: a fork from the n-th (mod) candidate stored checkpoint. */
    readonly fork: number | null,
    /** Per channel of CHANNELS: its change, or null when this checkpoint leaves it as it is. */
    readonly changes: readonly (Change | null)[],
    readonly tag: number,
  ) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, real: Real): Promise<void> {
    const thread = threadOf(model, this.thread);
    const ns = NAMESPACES[this.ns % NAMESPACES.length] as string;
    const checkpoints = namespaceOf(thread, ns);
    const stored = storedIds(thread, ns);
    let parent: MCheckpoint | undefined;
    if (stored.length > 0) {
      parent = checkpoints.get(stored[0] as string);
      if (this.fork !== null) {
        const candidates = model.free ? stored : stored.filter((id) => wholeWalkStored(thread, checkpoints.get(id) as MCheckpoint));
        if (candidates.length > 0) parent = checkpoints.get(candidates[this.fork % candidates.length] as string);
      }
    }
    const forked = parent !== undefined && parent.id !== stored[0];
    if (forked) covered('fork');

    model.seq += 1;
    const id = checkpointId(model.seq);
    const versions: ChannelVersions = { ...(parent?.checkpoint.channel_versions ?? {}) };
    const newVersions: ChannelVersions = {};
    const regular: Record<string, unknown> = { ...(parent?.regular ?? {}) };
    const snapshots = new Map<string, DeltaSnapshot<unknown>>();
    CHANNELS.forEach((channel, i) => {
      const change = this.changes[i];
      if (!change) return;
      const previous = versions[channel];
      const next = (typeof previous === 'number' ? previous : 0) + 1;
      versions[channel] = next;
      newVersions[channel] = next;
      if ((REGULAR as readonly string[]).includes(channel)) {
        regular[channel] = { v: change.value, by: model.seq };
        return;
      }
      // Anchored: a delta channel's first write on a branch (no snapshot on its path yet) is a snapshot.
      const unanchored = parent?.anchors.get(channel) === undefined;
      if (change.snapshot || (!model.free && unanchored)) snapshots.set(channel, new DeltaSnapshot([change.value, model.seq]));
    });
    const channelValues: Record<string, unknown> = {};
    for (const channel of REGULAR) if (regular[channel] !== undefined) channelValues[channel] = regular[channel];
    for (const [channel, snapshot] of snapshots) channelValues[channel] = snapshot;
    if (snapshots.size > 0) covered('snapshot');

    const checkpoint: Checkpoint = {
      v: 4,
      id,
      ts: new Date(Date.UTC(2025, 0, 1) + model.seq * 1000).toISOString(),
      channel_values: channelValues,
      channel_versions: versions,
      versions_seen: { node: { ...(parent?.checkpoint.channel_versions ?? {}) } },
    };
    const metadata: CheckpointMetadata = {
      source: parent === undefined ? 'input' : forked ? 'fork' : 'loop',
      step: parent === undefined ? -1 : (parent.metadata.step ?? 0) + 1,
      parents: {},
      tag: TAGS[this.tag % TAGS.length],
      // As LangGraph: the delta channels, counted since their last snapshot (the saver learns which they are here).
      counters_since_delta_snapshot: Object.fromEntries(DELTA.filter((ch) => versions[ch] !== undefined).map((ch) => [ch, [0, 0]])),
    } as CheckpointMetadata;

    // What a read must return, and the anchors (as the saver defines them).
    const values: Record<string, unknown> = {};
    const anchors = new Map<string, string>();
    for (const [channel, version] of Object.entries(versions)) {
      if (newVersions[channel] !== undefined && channelValues[channel] !== undefined) {
        values[channel] = channelValues[channel];
      } else if (parent && parent.checkpoint.channel_versions[channel] === version && Object.prototype.hasOwnProperty.call(parent.values, channel)) {
        values[channel] = parent.values[channel];
        covered('value inherited');
      }
      if (channelValues[channel] === undefined && (DELTA as readonly string[]).includes(channel)) {
        // No snapshot on the path yet: LangGraph replays it from the first checkpoint ('').
        const anchor = parent?.anchors.get(channel) ?? (parent ? '' : undefined);
        if (anchor !== undefined) anchors.set(channel, anchor);
      }
    }
    for (const channel of snapshots.keys()) anchors.set(channel, id);

    const config: RunnableConfig = { configurable: { thread_id: thread.name, checkpoint_ns: ns, ...(parent ? { checkpoint_id: parent.id } : {}) } };
    for (const saver of [real.pruned, real.full]) {
      const returned = await saver.put(config, checkpoint, metadata, newVersions);
      expect(returned).toEqual({ configurable: { thread_id: thread.name, checkpoint_ns: ns, checkpoint_id: id } });
    }
    checkpoints.set(id, {
      thread: thread.name,
      ns,
      id,
      parentId: parent?.id,
      checkpoint: { ...checkpoint, channel_values: { ...channelValues } },
      metadata,
      regular,
      values,
      anchors,
      writes: new Map(),
    });
    thread.exists = true;
    covered('put');

    // Learn what the pruned saver holds now: what it held before and the new one, minus what this put pruned.
    const listed = (await collect(real.pruned.list({ configurable: { thread_id: thread.name, checkpoint_ns: ns } }))).map(idOfTuple);
    const before = thread.stored.get(ns) ?? new Set<string>();
    const appeared = listed.filter((listedId) => listedId !== id && !before.has(listedId));
    if (appeared.length > 0) throw new Error(`${thread.name}/'${ns}': after put ${id} the pruned saver lists ${appeared.join(', ')}, pruned earlier`);
    thread.stored.set(ns, new Set(listed));
    await checkNamespace(model, real, thread, ns);
  }

  toString(): string {
    const changes = CHANNELS.map((ch, i) => {
      const change = this.changes[i];
      return change ? `${ch}=${change.value}${change.snapshot ? 's' : ''}` : null;
    }).filter((text) => text !== null);
    return `put(th-${this.thread % THREADS.length}, '${NAMESPACES[this.ns % NAMESPACES.length]}', ${this.fork === null ? 'latest' : `fork ${this.fork}`}, {${changes.join(' ')}}, ${TAGS[this.tag % TAGS.length]})`;
  }
}

export class PutWritesCmd implements Cmd {
  constructor(
    readonly thread: number,
    readonly ns: number,
    /** Which stored checkpoint (mod their count, newest first). */
    readonly pick: number,
    readonly task: number,
    readonly path: number,
    readonly writes: readonly { channel: number; value: number }[],
    /** Then the same writes again with other values (a retried task): regular ones stay, special ones are replaced. */
    readonly retry = false,
  ) {}

  check(model: Model): boolean {
    return storedIds(threadOf(model, this.thread), NAMESPACES[this.ns % NAMESPACES.length] as string).length > 0;
  }

  async run(model: Model, real: Real): Promise<void> {
    const thread = threadOf(model, this.thread);
    const ns = NAMESPACES[this.ns % NAMESPACES.length] as string;
    const stored = storedIds(thread, ns);
    const id = stored[this.pick % stored.length] as string;
    const target = thread.namespaces.get(ns)?.get(id) as MCheckpoint;
    const taskId = TASKS[this.task % TASKS.length] as string;
    const taskPath = TASK_PATHS[this.path % TASK_PATHS.length] as string;
    for (const attempt of this.retry ? [0, 1] : [0]) {
      // As in a real run, a delta channel is written only where it exists (its writes come from tasks reading it):
      // on a checkpoint without a version of it, the write goes to channel a instead.
      const channelOf = (w: { channel: number }): string => {
        const channel = WRITE_CHANNELS[w.channel % WRITE_CHANNELS.length] as string;
        return (DELTA as readonly string[]).includes(channel) && target.checkpoint.channel_versions[channel] === undefined ? 'a' : channel;
      };
      const writes: PendingWrite[] = this.writes.map((w) => [channelOf(w), { w: w.value, seq: model.seq, attempt }]);
      for (const saver of [real.pruned, real.full]) await saver.putWrites(configOf(thread.name, ns, id), writes, taskId, taskPath);
      writes.forEach(([channel, value], index) => {
        const idx = WRITES_IDX_MAP[channel] ?? index;
        const key = `${taskId}\0${idx}`;
        if (target.writes.has(key)) covered(idx >= 0 ? 'regular write kept (first wins)' : 'special write replaced');
        if (idx >= 0 && target.writes.has(key)) return;
        target.writes.set(key, { taskId, idx, channel, value, taskPath });
      });
    }
    covered('putWrites');
    for (const [name, saver] of [
      ['pruned', real.pruned],
      ['unpruned', real.full],
    ] as const) {
      expectTuple(await saver.getTuple(configOf(thread.name, ns, id)), target, `${name} getTuple after putWrites`);
    }
    await checkNamespace(model, real, thread, ns);
  }

  toString(): string {
    const writes = this.writes.map((w) => `${WRITE_CHANNELS[w.channel % WRITE_CHANNELS.length]}=${w.value}`);
    return `putWrites(th-${this.thread % THREADS.length}, '${NAMESPACES[this.ns % NAMESPACES.length]}', #${this.pick}, ${TASKS[this.task % TASKS.length]}, '${TASK_PATHS[this.path % TASK_PATHS.length]}', [${writes.join(' ')}]${this.retry ? ', twice' : ''})`;
  }
}

export class GetTupleCmd implements Cmd {
  constructor(
    readonly thread: number,
    readonly ns: number,
    /** null: the latest; n: the n-th (mod) id ever put in the namespace, pruned ones included; -1: an unknown id. */
    readonly pick: number | null,
  ) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, real: Real): Promise<void> {
    const thread = threadOf(model, this.thread);
    const ns = NAMESPACES[this.ns % NAMESPACES.length] as string;
    const all = allIds(thread, ns);
    if (this.pick === null) {
      const newest = all[0];
      for (const saver of [real.pruned, real.full]) {
        const latest = await saver.getTuple({ configurable: { thread_id: thread.name, checkpoint_ns: ns } });
        if (newest === undefined) expect(latest).toBeUndefined();
        else expectTuple(latest, thread.namespaces.get(ns)?.get(newest) as MCheckpoint, 'getTuple latest');
      }
      return;
    }
    const id = this.pick < 0 || all.length === 0 ? AFTER_ALL : (all[this.pick % all.length] as string);
    const c = thread.namespaces.get(ns)?.get(id);
    const full = await real.full.getTuple(configOf(thread.name, ns, id));
    const pruned = await real.pruned.getTuple(configOf(thread.name, ns, id));
    if (!c) {
      expect({ id, full, pruned }).toEqual({ id, full: undefined, pruned: undefined });
      return;
    }
    expectTuple(full, c, 'unpruned getTuple by id');
    if (thread.stored.get(ns)?.has(id)) {
      expectTuple(pruned, c, 'pruned getTuple by id');
    } else {
      covered('read of a pruned checkpoint');
      expect({ id, pruned }).toEqual({ id, pruned: undefined });
    }
  }

  toString(): string {
    return `getTuple(th-${this.thread % THREADS.length}, '${NAMESPACES[this.ns % NAMESPACES.length]}', ${this.pick === null ? 'latest' : `#${this.pick}`})`;
  }
}

const FILTERS: readonly Record<string, unknown>[] = [{ tag: 'x' }, { source: 'fork' }, { step: 1 }, { tag: 'y', source: 'loop' }];

export class ListCmd implements Cmd {
  constructor(
    /** null: every thread of the tenant (no thread_id). */
    readonly thread: number | null,
    /** null: every namespace. */
    readonly ns: number | null,
    /** null: no `before`; n: the n-th (mod) id of the run; -1: an id after every id. */
    readonly before: number | null,
    readonly limit: number | null,
    readonly filter: number | null,
  ) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, real: Real): Promise<void> {
    const threads = this.thread === null ? [...model.threads.values()] : [threadOf(model, this.thread)];
    const namespace = this.ns === null ? undefined : (NAMESPACES[this.ns % NAMESPACES.length] as string);
    const everyId = [...model.threads.values()].flatMap((t) => [...t.namespaces.values()].flatMap((cs) => [...cs.keys()])).sort();
    const before = this.before === null ? undefined : this.before < 0 || everyId.length === 0 ? AFTER_ALL : everyId[this.before % everyId.length];
    const filter = this.filter === null ? undefined : FILTERS[this.filter % FILTERS.length];
    const config: RunnableConfig = {
      configurable: {
        ...(this.thread === null ? {} : { thread_id: threadOf(model, this.thread).name }),
        ...(namespace === undefined ? {} : { checkpoint_ns: namespace }),
      },
    };
    const options = {
      ...(before === undefined ? {} : { before: { configurable: { checkpoint_id: before } } }),
      ...(this.limit === null ? {} : { limit: this.limit }),
      ...(filter === undefined ? {} : { filter }),
    };
    if (this.thread === null) covered('list of every thread');
    if (before !== undefined) covered('list with before');
    for (const [name, saver, prunedView] of [
      ['pruned', real.pruned, true],
      ['unpruned', real.full, false],
    ] as const) {
      // Per thread, what it must list: namespaces in reverse order, newest first within one (list's order).
      const expected = new Map<string, MCheckpoint[]>();
      for (const thread of threads) {
        const namespaces = [...thread.namespaces.keys()].filter((ns) => namespace === undefined || ns === namespace).sort().reverse();
        const items = namespaces.flatMap((ns) =>
          allIds(thread, ns)
            .filter((id) => !prunedView || (thread.stored.get(ns)?.has(id) ?? false))
            .filter((id) => before === undefined || id < before)
            .map((id) => thread.namespaces.get(ns)?.get(id) as MCheckpoint)
            .filter((c) => filter === undefined || Object.entries(filter).every(([key, value]) => (c.metadata as Record<string, unknown>)[key] === value)),
        );
        if (items.length > 0) expected.set(thread.name, items);
      }
      const listed = await collect(saver.list(config, options));
      const total = [...expected.values()].reduce((sum, items) => sum + items.length, 0);
      const what = `${name} ${this.toString()}`;
      expect({ what, count: listed.length }).toEqual({ what, count: Math.min(total, this.limit ?? Infinity) });
      // Threads come one after the other; each thread's items are a prefix of what it must list.
      const seenThreads: string[] = [];
      let at = 0;
      for (const tuple of listed) {
        const threadName = tuple.config.configurable?.thread_id as string;
        if (seenThreads.at(-1) !== threadName) {
          if (seenThreads.includes(threadName)) throw new Error(`${what}: the threads' checkpoints are interleaved`);
          seenThreads.push(threadName);
          at = 0;
        }
        const c = expected.get(threadName)?.[at];
        if (!c) throw new Error(`${what}: listed ${threadName}/${idOfTuple(tuple)}, which it must not list (or not there)`);
        expectTuple(tuple, c, what);
        at += 1;
      }
    }
  }

  toString(): string {
    return `list(${this.thread === null ? 'every thread' : `th-${this.thread % THREADS.length}`}, ${this.ns === null ? 'every ns' : `'${NAMESPACES[this.ns % NAMESPACES.length]}'`}, before ${this.before ?? '-'}, limit ${this.limit ?? '-'}, filter ${this.filter === null ? '-' : JSON.stringify(FILTERS[this.filter % FILTERS.length])})`;
  }
}

export class DeltaHistoryCmd implements Cmd {
  constructor(
    readonly thread: number,
    readonly ns: number,
    readonly pick: number,
    /** Which of HISTORY_CHANNELS to ask the unpruned saver about. */
    readonly mask: readonly boolean[],
  ) {}

  check(model: Model): boolean {
    return allIds(threadOf(model, this.thread), NAMESPACES[this.ns % NAMESPACES.length] as string).length > 0;
  }

  async run(model: Model, real: Real): Promise<void> {
    const thread = threadOf(model, this.thread);
    const ns = NAMESPACES[this.ns % NAMESPACES.length] as string;
    const all = allIds(thread, ns);
    const id = all[this.pick % all.length] as string;
    const channels = HISTORY_CHANNELS.filter((_, i) => this.mask[i]);
    const full = await real.full.getDeltaChannelHistory({ config: configOf(thread.name, ns, id), channels });
    expect({ id, channels, full: plain(full) }).toEqual({ id, channels, full: plain(oracleHistory(thread, ns, id, channels)) });
    const c = thread.namespaces.get(ns)?.get(id) as MCheckpoint;
    if (Object.values(full).some((h) => h.seed !== undefined)) covered('history with a seed');
    if (Object.values(full).some((h) => h.writes.length > 0)) covered('history with writes');
    // A stored checkpoint whose delta walks are wholly stored replays as the oracle's on the pruned saver too.
    if (thread.stored.get(ns)?.has(id) && wholeWalkStored(thread, c)) {
      const replayed = replayedChannels(c);
      if (replayed.length === 0) return;
      const pruned = await real.pruned.getDeltaChannelHistory({ config: configOf(thread.name, ns, id), channels: replayed });
      expect({ id, replayed, pruned: plain(pruned) }).toEqual({ id, replayed, pruned: plain(oracleHistory(thread, ns, id, replayed)) });
    }
  }

  toString(): string {
    return `deltaHistory(th-${this.thread % THREADS.length}, '${NAMESPACES[this.ns % NAMESPACES.length]}', #${this.pick}, [${HISTORY_CHANNELS.filter((_, i) => this.mask[i]).join(' ')}])`;
  }
}

export class DeleteThreadCmd implements Cmd {
  constructor(readonly thread: number) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, real: Real): Promise<void> {
    const thread = threadOf(model, this.thread);
    for (const saver of [real.pruned, real.full]) await saver.deleteThread(thread.name);
    if (thread.exists) covered('deleteThread');
    thread.exists = false;
    thread.namespaces.clear();
    thread.stored.clear();
    for (const saver of [real.pruned, real.full]) {
      for (const ns of NAMESPACES) expect(await saver.getTuple({ configurable: { thread_id: thread.name, checkpoint_ns: ns } })).toBeUndefined();
      expect((await collect(saver.list({ configurable: { thread_id: thread.name } }))).map(idOfTuple)).toEqual([]);
    }
  }

  toString(): string {
    return `deleteThread(th-${this.thread % THREADS.length})`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries.

function commandArbitrary(): fc.Arbitrary<Cmd> {
  const thread = fc.nat({ max: THREADS.length - 1 });
  const ns = fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.constant(1), weight: 1 });
  const change = fc.option(fc.record({ value: fc.nat({ max: 9 }), snapshot: fc.boolean() }), { freq: 2 });
  const changes = fc.tuple(...CHANNELS.map(() => change));
  const fork = fc.option(fc.nat({ max: 20 }), { freq: 3 });
  const put = fc.tuple(thread, ns, fork, changes, fc.nat({ max: 1 })).map(([t, n, f, c, g]): Cmd => new PutCmd(t, n, f, c, g));
  const write = fc.record({ channel: fc.nat({ max: WRITE_CHANNELS.length - 1 }), value: fc.nat({ max: 9 }) });
  // Mostly the newest checkpoint and the first task, so that writes meet earlier ones of the same (task, idx).
  const small = (max: number) => fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.nat({ max }), weight: 1 });
  const putWrites = fc
    .tuple(thread, ns, small(20), small(TASKS.length - 1), fc.nat({ max: TASK_PATHS.length - 1 }), fc.array(write, { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([t, n, p, k, path, w, r]): Cmd => new PutWritesCmd(t, n, p, k, path, w, r));
  const getTuple = fc.tuple(thread, ns, fc.option(fc.integer({ min: -1, max: 20 }), { freq: 3 })).map(([t, n, p]): Cmd => new GetTupleCmd(t, n, p));
  const list = fc
    .tuple(
      fc.option(thread, { freq: 4 }),
      fc.option(ns, { freq: 2 }),
      fc.option(fc.integer({ min: -1, max: 30 }), { freq: 2 }),
      fc.option(fc.integer({ min: 1, max: 4 }), { freq: 2 }),
      fc.option(fc.nat({ max: FILTERS.length - 1 }), { freq: 3 }),
    )
    .map(([t, n, b, l, f]): Cmd => new ListCmd(t, n, b, l, f));
  const history = fc
    .tuple(thread, ns, small(20), fc.tuple(...HISTORY_CHANNELS.map(() => fc.boolean())).filter((mask) => mask.some(Boolean)))
    .map(([t, n, p, m]): Cmd => new DeltaHistoryCmd(t, n, p, m));
  const deleteThread = thread.map((t): Cmd => new DeleteThreadCmd(t));
  return fc.oneof(
    { arbitrary: put, weight: 10 },
    { arbitrary: putWrites, weight: 5 },
    { arbitrary: getTuple, weight: 2 },
    { arbitrary: list, weight: 2 },
    { arbitrary: history, weight: 3 },
    { arbitrary: deleteThread, weight: 1 },
  );
}

// ---------------------------------------------------------------------------------------------------------------

/** One run: fresh tenants for both savers, the commands (audited after each), then every namespace checked. */
async function runScenario(store: WorkflowStore, harness: CheckpointModelHarness, keepLast: number, free: boolean, commands: Iterable<Cmd>): Promise<void> {
  const model = newModel(keepLast, free);
  const prunedTenant = freshTenant('kp');
  const fullTenant = freshTenant('kf');
  const real: Real = {
    store,
    pruned: new WorkflowCheckpointSaver(store.forTenant(prunedTenant), { keepLast }),
    full: new WorkflowCheckpointSaver(store.forTenant(fullTenant), { keepLast: 0 }),
    prunedTenant,
    fullTenant,
    harness,
  };
  const audited = (function* (): Iterable<Cmd> {
    for (const command of commands) {
      yield {
        check: (m: Readonly<Model>) => command.check(m),
        run: async (m: Model, r: Real) => {
          await command.run(m, r);
          await audit(m, r);
        },
        toString: () => command.toString(),
      };
    }
  })();
  await fc.asyncModelRun(() => ({ model, real }), audited);
  for (const thread of model.threads.values()) for (const ns of NAMESPACES) await checkNamespace(model, real, thread, ns);
  await audit(model, real);
  covered('runs');
}

const MUST_COVER = [
  'put',
  'fork',
  'snapshot',
  'value inherited',
  'pruned',
  'kept beyond K for an anchor',
  'kept checkpoint replaying a delta channel',
  'putWrites',
  'regular write kept (first wins)',
  'special write replaced',
  'read of a pruned checkpoint',
  'list of every thread',
  'list with before',
  'history with a seed',
  'history with writes',
  'deleteThread',
];

export function describeCheckpointModel(harness: CheckpointModelHarness, options: CheckpointModelOptions): void {
  describe(`checkpoint saver model (keepLast, shared values): ${harness.name}`, () => {
    let store: CheckpointModelStore | undefined;
    beforeAll(async () => {
      store = await harness.makeStore();
    });
    afterAll(async () => {
      await store?.close();
    });
    const opened = (): CheckpointModelStore => {
      if (!store) throw new Error('the store did not open');
      return store;
    };
    const property = (free: boolean, runs: number) =>
      fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.commands([commandArbitrary()], { maxCommands: options.maxCommands ?? 30, size: 'max' }), (keepLast, commands) =>
          runScenario(opened(), harness, keepLast, free, commands),
        ),
        { numRuns: runs },
      );

    it(`anchored: snapshots on a delta channel's first write, forks from wholly stored checkpoints (${options.runs} runs)`, async () => {
      coverage.clear();
      await property(false, options.runs);
      const missing = MUST_COVER.filter((what) => !coverage.has(what));
      if (missing.length > 0) throw new Error(`the runs never exercised: ${missing.join(', ')} (coverage: ${JSON.stringify(Object.fromEntries(coverage))})`);
    }, 120_000);

    it(`free: snapshots at random, forks from any stored checkpoint (${options.freeRuns} runs)`, async () => {
      coverage.clear();
      await property(true, options.freeRuns);
    }, 120_000);

    // Counterexamples the properties found, shrunk and pinned, so they run every time whatever the seed.
    const no = null;
    const snap = (value: number): Change => ({ value, snapshot: true });
    const delta = (value: number): Change => ({ value, snapshot: false });

    it('pinned: keepLast 1, the put that prunes a checkpoint without pending writes succeeds', async () => {
      // A graph's last checkpoint of a run has no pending writes; the next run's first put prunes it.
      await runScenario(opened(), harness, 1, false, [new PutCmd(0, 0, null, [{ value: 1, snapshot: false }, no, no, no, no], 0), new PutCmd(0, 0, null, [no, no, no, no, no], 0)]);
    });

    it('pinned: keepLast 1, a delta channel without any snapshot yet: its writes on pruned ancestors are still replayed', async () => {
      // d1 is written (no snapshot: LangGraph snapshots only every snapshotFrequency updates, 100 by default) and
      // its writes are pending on the first checkpoint; the kept checkpoint replays d1 from the root.
      await runScenario(opened(), harness, 1, true, [
        new PutCmd(0, 0, null, [no, no, no, delta(1), no], 0),
        new PutWritesCmd(0, 0, 0, 0, 0, [{ channel: 1, value: 5 }]),
        new PutCmd(0, 0, null, [no, no, no, delta(2), no], 0), // keeps only itself: the first checkpoint goes
      ]);
    });

    it('pinned: keepLast 2, a fork from a stored checkpoint beyond the K newest replays (what it needs was kept)', async () => {
      // Each checkpoint gets its tasks' writes (task-2 on channel a) before the next put, as in a real run.
      const tasksWrite = (): PutWritesCmd => new PutWritesCmd(0, 0, 0, 1, 0, [{ channel: 0, value: 0 }]);
      await runScenario(opened(), harness, 2, true, [
        new PutCmd(0, 0, null, [no, no, no, snap(1), no], 0), // c1: snapshot of d1
        tasksWrite(),
        new PutCmd(0, 0, null, [no, no, no, snap(2), no], 0), // c2: child of c1, snapshot
        tasksWrite(),
        new PutCmd(0, 0, 1, [no, no, no, delta(3), no], 0), // c3: fork of c1, carries d1 (anchor c1)
        tasksWrite(),
        new PutCmd(0, 0, 1, [no, no, no, delta(4), no], 0), // c4: fork of c2 (anchor c2)
        tasksWrite(),
        new PutCmd(0, 0, null, [no, no, no, snap(5), no], 0), // c5: child of c4, snapshot: c1 pruned, c3 stays
        new PutWritesCmd(0, 0, 2, 0, 0, [{ channel: 1, value: 6 }]), // a d1 write on c3
        new PutCmd(0, 0, 2, [no, no, no, delta(7), no], 0), // c6: fork of c3: kept, its walk needs c1
      ]);
    });
  });
}
