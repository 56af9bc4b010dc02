import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  INTERRUPT,
  TASKS,
  WRITES_IDX_MAP,
  compareWritesSortKeys,
  copyCheckpoint,
  getCheckpointId,
  isDeltaSnapshot,
  maxChannelVersion,
  writesSortKey,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import { NotFoundError } from '../errors/not-found.error.js';
import { InvalidInputError } from '../errors/invalid-input.error.js';
import { workflowIdSchema } from '../workflow.schema.js';
import type { WorkflowStore } from '../workflow-store.js';
import { checkName, decodeCheckpoint, decodeValue, decodeWrite, encodeCheckpoint, encodeValue, encodeWrite } from './checkpoint-codec.js';
import type { CheckpointStorage, StoredCheckpoint, ThreadWrite } from './checkpoint-storage.js';
import { statusOf, summaryOf, type ThreadStatus } from './thread-summary.js';

export const DEFAULT_THREAD_TYPE = 'langgraph-thread';
/** Checkpoints a `list` page reads from the backend at a time. */
const PAGE = 50;

export interface WorkflowCheckpointSaverOptions {
  /** TTL of a thread (its workflow and every key of its checkpoints), restarted by every `put`. Default: the store's. */
  ttlSeconds?: number;
  /** Restart the thread's TTL on `getTuple` too (one more write per read). Default false. */
  refreshOnRead?: boolean;
  /**
   * Checkpoints kept per thread and namespace: older ones are pruned by the `put` that passes the bound, in the same
   * atomic step, except those a kept checkpoint still needs (its path back to every delta channel's snapshot).
   * Default 0: keep all, as LangGraph expects (time travel to any checkpoint).
   */
  keepLast?: number;
  /** The type of the workflows threads are stored as. Default "langgraph-thread". */
  threadType?: string;
  serde?: SerializerProtocol;
}

/**
 * A LangGraph checkpointer on a `WorkflowStore`: each thread is a workflow of the store (id = thread id, type
 * `threadType`) whose state summarises its latest root checkpoint (see ThreadSummary) and whose status is running,
 * interrupted or done; list, TTL, tenants and the change feed apply to threads like to any workflow.
 *
 * On Redis, a `put` is one atomic script (checkpoint, thread workflow, event, TTL of every key of the thread), and so
 * is a `putWrites`; all keys of a thread share one hash tag (one Cluster slot); the latest checkpoint is one ZRANGE,
 * a `list` page O(page), `deleteThread` deletes the thread's own keys and nothing is ever scanned.
 *
 * Thread ids must be workflow ids (1-64 of A-Z a-z 0-9 _ . -); with the store's tenant view, threads are the tenant's.
 * `configurable.lease_token` (a lease of the thread's workflow) fences puts like any write.
 */
export class WorkflowCheckpointSaver extends BaseCheckpointSaver {
  private readonly storage: CheckpointStorage;
  private readonly threadType: string;
  private readonly keepLast: number;

  constructor(
    private readonly store: WorkflowStore,
    private readonly options: WorkflowCheckpointSaverOptions = {},
  ) {
    super(options.serde);
    const { ttlSeconds, keepLast = 0 } = options;
    if (ttlSeconds !== undefined && (!Number.isInteger(ttlSeconds) || ttlSeconds < 1)) {
      throw new InvalidInputError([{ path: 'ttlSeconds', message: 'must be a whole number of seconds, at least 1' }]);
    }
    if (!Number.isInteger(keepLast) || keepLast < 0) throw new InvalidInputError([{ path: 'keepLast', message: 'must be a whole number, 0 (keep all) or more' }]);
    this.storage = store.checkpointStorage(ttlSeconds);
    this.threadType = options.threadType ?? DEFAULT_THREAD_TYPE;
    this.keepLast = keepLast;
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const thread = config.configurable?.thread_id as string | undefined;
    if (thread === undefined) return undefined;
    const ns = namespaceOf(config);
    const wanted = getCheckpointId(config) || undefined;
    const stored = await this.storage.read(threadId(thread), ns, wanted === undefined ? undefined : checkName(wanted, 'checkpoint_id'));
    if (!stored) return undefined;
    if (this.options.refreshOnRead) await this.refresh(thread);
    return this.tupleOf(thread, stored);
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { filter } = options;
    const before = options.before?.configurable?.checkpoint_id as string | undefined;
    const only = config.configurable?.checkpoint_id as string | undefined;
    const ns = config.configurable?.checkpoint_ns as string | undefined;
    if (ns !== undefined) checkName(ns, 'checkpoint_ns');
    if (before !== undefined) checkName(before, 'before.checkpoint_id');
    let remaining = options.limit ?? Infinity;
    if (remaining <= 0) return;
    const thread = config.configurable?.thread_id as string | undefined;
    for await (const id of thread === undefined ? this.threads() : [threadId(thread)]) {
      let cursor: string | null = null;
      do {
        const page = await this.storage.page(id, ns, before, cursor, PAGE);
        for (const stored of page.items) {
          if (only && stored.id !== only) continue;
          const tuple = await this.tupleOf(id, stored);
          if (filter && !Object.entries(filter).every(([key, value]) => (tuple.metadata as Record<string, unknown> | undefined)?.[key] === value)) continue;
          yield tuple;
          if (--remaining <= 0) return;
        }
        cursor = page.next;
      } while (cursor !== null);
    }
  }

  /**
   * Stores the checkpoint without its channel values, and the values of the channels in `newVersions` once each: a
   * channel it did not change refers to its parent's value of the same version (so a read gives exactly the values
   * stored by this checkpoint or inherited along its path, as LangGraph's conformance suite requires).
   */
  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    const thread = requiredThread(config, 'put checkpoint');
    const ns = namespaceOf(config);
    const parentId = (config.configurable?.checkpoint_id as string | undefined) || undefined;
    const prepared = copyCheckpoint(checkpoint);
    const values = prepared.channel_values as Record<string, unknown>;
    const changed = Object.keys(newVersions).filter((channel) => values[channel] !== undefined);
    const [serialisedCheckpoint, serialisedMetadata, ...serialisedValues] = await Promise.all([
      this.serde.dumpsTyped({ ...prepared, channel_values: {} }),
      this.serde.dumpsTyped(metadata),
      ...changed.map((channel) => this.serde.dumpsTyped(values[channel])),
    ]);
    const summary = summaryOf(prepared, metadata);
    const delta = deltaChannelsOf(values, metadata).map((channel) => checkName(channel, 'channel'));
    await this.storage.put({
      thread,
      ns,
      id: checkName(checkpoint.id, 'checkpoint.id'),
      parentId: parentId === undefined ? undefined : checkName(parentId, 'checkpoint_id'),
      record: encodeCheckpoint({ parentId, checkpoint: serialisedCheckpoint, metadata: serialisedMetadata }),
      snapshotChannels: delta.filter((channel) => values[channel] !== undefined),
      carriedChannels: delta.filter((channel) => values[channel] === undefined && prepared.channel_versions[channel] !== undefined),
      keepLast: this.keepLast,
      versions: Object.entries(prepared.channel_versions).map(([channel, version]) => [checkName(channel, 'channel'), String(version)] as const),
      values: changed.map((channel, i) => [channel, encodeValue(serialisedValues[i] as [string, Uint8Array])] as const),
      // A subgraph's checkpoint keeps the thread's summary: it describes the root graph.
      write: this.threadWrite(config, ns === '' ? JSON.stringify(summary) : undefined, ns === '' ? statusOf(summary) : undefined),
    });
    return { configurable: { thread_id: thread, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath = ''): Promise<void> {
    const thread = requiredThread(config, 'put writes');
    const id = config.configurable?.checkpoint_id as string | undefined;
    if (!id) throw new Error('Failed to put writes: the RunnableConfig has no "checkpoint_id" in its "configurable" property.');
    const ns = namespaceOf(config);
    const encoded = await Promise.all(
      writes.map(async ([channel, value], index) => ({
        idx: WRITES_IDX_MAP[channel] ?? index,
        record: encodeWrite({ channel: checkName(channel, 'channel'), taskPath: checkName(taskPath, 'taskPath'), value: await this.serde.dumpsTyped(value) }),
      })),
    );
    // An interrupt of the root graph makes the thread "interrupted", in the same step as the writes.
    const interrupted = ns === '' && writes.some(([channel]) => channel === INTERRUPT);
    const status: ThreadStatus = 'interrupted';
    await this.storage.putWrites({
      thread,
      ns,
      id: checkName(id, 'checkpoint_id'),
      taskId: checkName(taskId, 'taskId'),
      writes: encoded,
      ...(interrupted ? { write: this.threadWrite(config, undefined, status) } : {}),
    });
  }

  /** Deletes the thread's workflow with every checkpoint and write of it (nothing else is looked at). */
  async deleteThread(thread: string): Promise<void> {
    try {
      await this.store.delete(threadId(thread));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }

  private threadWrite(config: RunnableConfig, stateJson: string | undefined, status: string | undefined): ThreadWrite {
    const token = config.configurable?.lease_token as number | string | undefined;
    return {
      type: this.threadType,
      stateJson,
      status,
      ttlSeconds: this.options.ttlSeconds,
      leaseToken: token === undefined ? undefined : Number(token),
    };
  }

  /** Every thread of this store (tenant): the workflows of `threadType`, page by page. */
  private async *threads(): AsyncGenerator<string> {
    let cursor: string | undefined;
    do {
      const page = await this.store.list({ type: this.threadType, limit: 100, ...(cursor ? { cursor } : {}) });
      for (const workflow of page.items) yield workflow.id;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  private async refresh(thread: string): Promise<void> {
    try {
      await this.store.touch(thread, this.options.ttlSeconds === undefined ? {} : { ttlSeconds: this.options.ttlSeconds });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error; // expired between the read and the touch
    }
  }

  private async tupleOf(thread: string, stored: StoredCheckpoint): Promise<CheckpointTuple> {
    const record = decodeCheckpoint(stored.record);
    const checkpoint = (await this.serde.loadsTyped(...record.checkpoint)) as Checkpoint;
    const values = await Promise.all(stored.values.map(async ({ channel, record: value }) => [channel, await this.serde.loadsTyped(...decodeValue(value))] as const));
    checkpoint.channel_values = Object.fromEntries(values);
    if (checkpoint.v < 4 && record.parentId !== undefined) await this.migratePendingSends(checkpoint, thread, stored.ns, record.parentId);
    const tuple: CheckpointTuple = {
      config: { configurable: { thread_id: thread, checkpoint_ns: stored.ns, checkpoint_id: stored.id } },
      checkpoint,
      metadata: (await this.serde.loadsTyped(...record.metadata)) as CheckpointMetadata,
      pendingWrites: await this.pendingWritesOf(stored),
    };
    if (record.parentId !== undefined) {
      tuple.parentConfig = { configurable: { thread_id: thread, checkpoint_ns: stored.ns, checkpoint_id: record.parentId } };
    }
    return tuple;
  }

  /** The checkpoint's pending writes in `writesSortKey` order (task path, task id, idx), as LangGraph replays them. */
  private async pendingWritesOf(stored: StoredCheckpoint): Promise<CheckpointPendingWrite[]> {
    const decoded = stored.writes.map((write) => ({ ...write, ...decodeWrite(write.record) }));
    decoded.sort((a, b) => compareWritesSortKeys(writesSortKey(a.taskPath, a.taskId, a.idx), writesSortKey(b.taskPath, b.taskId, b.idx)));
    return Promise.all(decoded.map(async (w): Promise<CheckpointPendingWrite> => [w.taskId, w.channel, await this.serde.loadsTyped(...w.value)]));
  }

  /** Checkpoints before format 4 kept pending sends as writes of their parent: they become the TASKS channel. */
  private async migratePendingSends(checkpoint: Checkpoint, thread: string, ns: string, parentId: string): Promise<void> {
    const parent = await this.storage.read(thread, ns, parentId);
    const sends = parent ? (await this.pendingWritesOf(parent)).filter(([, channel]) => channel === TASKS).map(([, , value]) => value) : [];
    checkpoint.channel_values ??= {};
    checkpoint.channel_values[TASKS] = sends;
    checkpoint.channel_versions ??= {};
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }
}

/**
 * LangGraph's delta channels at this checkpoint: those its metadata counts updates of since their last snapshot
 * (`counters_since_delta_snapshot`), and any holding a `DeltaSnapshot`. Until one holds a value again, LangGraph
 * rebuilds it from the writes of the checkpoints back to the last that did, so `keepLast` keeps those.
 */
function deltaChannelsOf(values: Record<string, unknown>, metadata: CheckpointMetadata): string[] {
  const channels = new Set(Object.keys(metadata.counters_since_delta_snapshot ?? {}));
  for (const [channel, value] of Object.entries(values)) if (isDeltaSnapshot(value)) channels.add(channel);
  return [...channels];
}

function namespaceOf(config: RunnableConfig): string {
  return checkName((config.configurable?.checkpoint_ns as string | undefined) ?? '', 'checkpoint_ns');
}

function requiredThread(config: RunnableConfig, what: string): string {
  const thread = config.configurable?.thread_id as string | undefined;
  if (thread === undefined) {
    throw new Error(
      `Failed to ${what}: the RunnableConfig has no "thread_id" in its "configurable" property. ` +
        'Pass one so the checkpointer knows which thread to keep state for: graph.invoke(input, { configurable: { thread_id: "…" } })',
    );
  }
  return threadId(thread);
}

/** A thread id is a workflow id. */
function threadId(thread: unknown): string {
  const parsed = workflowIdSchema.safeParse(thread);
  if (!parsed.success) {
    throw new InvalidInputError([{ path: 'thread_id', message: 'must be 1-64 characters of A-Z a-z 0-9 _ . - and not start with "." (a thread is a workflow)' }]);
  }
  return parsed.data;
}
