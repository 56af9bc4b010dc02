/**
 * What a backend stores for `WorkflowCheckpointSaver`: LangGraph checkpoints and pending writes of a thread, as
 * opaque records the saver encodes. A thread is a workflow (the thread id is its id): every write here also
 * writes that workflow, in the same atomic step, and its checkpoints live and expire with it (deleting the
 * workflow deletes them; a new life of the id starts without them).
 */
export interface CheckpointStorage {
  /** Stores a checkpoint and writes its thread's workflow (a new version, TTL restarted) in one atomic step. */
  put(input: CheckpointPut): Promise<void>;
  /**
   * Stores one task's pending writes for a checkpoint. Without `thread` it leaves the workflow as it is (they
   * expire with it); with it (a status change, an interrupt) it also writes the workflow, in the same step.
   * @throws NotFoundError when the thread's workflow does not exist (without `thread`).
   */
  putWrites(input: WritesPut): Promise<void>;
  /** A checkpoint (the namespace's latest when `id` is undefined) with its pending writes; undefined when absent. */
  read(thread: string, ns: string, id: string | undefined): Promise<StoredCheckpoint | undefined>;
  /**
   * Up to `limit` checkpoints examined, newest first within a namespace (every namespace when `ns` is undefined),
   * only ids below `before` when given, starting after `cursor` (null: from the newest). `next` continues, null at
   * the end. Cost: O(limit), whatever the thread's size.
   */
  page(thread: string, ns: string | undefined, before: string | undefined, cursor: string | null, limit: number): Promise<CheckpointPage>;
}

/** How the thread's workflow is written with a checkpoint or writes. */
export interface ThreadWrite {
  /** Type of the workflow when this write creates it. */
  type: string;
  /** The new summary state (JSON); undefined keeps the stored one (a subgraph's checkpoint, an interrupt). */
  stateJson: string | undefined;
  /** The new status; undefined keeps the stored one. */
  status: string | undefined;
  /** TTL from now on; undefined keeps the workflow's (or the store's default for a new one). */
  ttlSeconds: number | undefined;
  /** The workflow's live lease token, when it is leased (fencing, as for every write). */
  leaseToken: number | undefined;
}

export interface CheckpointPut {
  thread: string;
  ns: string;
  id: string;
  parentId: string | undefined;
  record: Buffer;
  /** Delta channels this checkpoint holds a snapshot of. */
  snapshotChannels: readonly string[];
  /** Channels in its versions without a value here (a delta channel among them needs an ancestor's snapshot). */
  carriedChannels: readonly string[];
  /** Checkpoints kept per namespace; 0 keeps all. */
  keepLast: number;
  /** Every channel version of the checkpoint. */
  versions: readonly (readonly [channel: string, version: string])[];
  /**
   * The values of the channels it changed (stored once, shared by every later checkpoint that has the same version
   * of the channel on its path); a channel it did not change refers to its parent's value of that version.
   */
  values: readonly (readonly [channel: string, record: Buffer])[];
  write: ThreadWrite;
}

export interface WritesPut {
  thread: string;
  ns: string;
  id: string;
  taskId: string;
  writes: readonly { idx: number; record: Buffer }[];
  /** Set when these writes change the thread's workflow (an interrupt): written with them, in one step. */
  write?: ThreadWrite;
}

export interface StoredWrite {
  taskId: string;
  idx: number;
  record: Buffer;
}

export interface StoredCheckpoint {
  ns: string;
  id: string;
  record: Buffer;
  /** The channel values it refers to. */
  values: { channel: string; record: Buffer }[];
  /** In the order they were first stored. */
  writes: StoredWrite[];
}

export interface CheckpointPage {
  items: StoredCheckpoint[];
  next: string | null;
}
