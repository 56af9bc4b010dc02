import type { CheckpointPage, CheckpointPut, StoredCheckpoint } from '../checkpoints/checkpoint-storage.js';

/** Pending writes each put may prune beyond, as the Redis script (CP_PRUNE_BATCH). */
const PRUNE_BATCH = 200;

interface Kept {
  record: Buffer;
  /** Channel -> the version it has and the checkpoint that stored that value. */
  refs: Map<string, { version: string; writer: string }>;
  /** Delta channel -> the nearest checkpoint on this one's path holding its snapshot. */
  anchors: Map<string, string>;
  /** "task\0idx" -> the write's record, in the order first stored. */
  writes: Map<string, Buffer>;
}

/**
 * One LangGraph thread's checkpoints in memory, with the semantics of includes/checkpoints.lua. It hangs on its
 * workflow's entry, so it lives, expires and goes with it.
 */
export class MemoryThread {
  /** Namespace -> checkpoint id -> checkpoint. */
  private readonly namespaces = new Map<string, Map<string, Kept>>();
  /** The root namespace's newest checkpoint put, and newest checkpoint an interrupt was written for. */
  private latestRoot = '';
  private interruptedAt = '';
  /** Namespace -> "channel\0writer" -> a channel value and how many checkpoints refer to it. */
  private readonly values = new Map<string, Map<string, { record: Buffer; count: number }>>();

  put(input: Omit<CheckpointPut, 'thread' | 'write'>): void {
    const { ns, id, parentId, record, snapshotChannels, carriedChannels, keepLast } = input;
    const checkpoints = this.checkpointsOf(ns);
    const values = this.valuesOf(ns);
    const before = checkpoints.get(id);
    if (before && before.record.length > 0) this.release(ns, before);
    const written = new Set<string>();
    for (const [channel, value] of input.values) {
      const name = `${channel}\0${id}`;
      values.set(name, { record: Buffer.from(value), count: values.get(name)?.count ?? 0 });
      written.add(channel);
    }
    const parent = parentId === undefined ? undefined : checkpoints.get(parentId);
    const refs = new Map<string, { version: string; writer: string }>();
    for (const [channel, version] of input.versions) {
      const inherited = parent?.refs.get(channel);
      const writer = written.has(channel) ? id : inherited?.version === version ? inherited.writer : undefined;
      if (writer === undefined) continue;
      refs.set(channel, { version, writer });
      const value = values.get(`${channel}\0${writer}`);
      if (value) value.count += 1;
    }
    // As cpAnchors: the parent's anchor of a delta channel carried without a value, or '' (back to the first
    // checkpoint) when no checkpoint on the path held one yet.
    const inherited = parent?.anchors;
    const anchors = new Map<string, string>();
    for (const channel of carriedChannels) {
      const anchor = inherited?.get(channel);
      if (anchor !== undefined) anchors.set(channel, anchor);
      else if (parentId !== undefined) anchors.set(channel, '');
    }
    for (const channel of snapshotChannels) anchors.set(channel, id);
    checkpoints.set(id, { record: Buffer.from(record), refs, anchors, writes: before?.writes ?? new Map() });
    if (keepLast > 0) this.prune(ns, keepLast);
  }

  /** As cpRoot in includes/checkpoints.lua: what a root put or interrupt of `id` means for the thread's workflow. */
  rootVerdict(id: string, interrupt: boolean): 'interrupted' | 'stale' | undefined {
    if (interrupt) {
      if (id > this.interruptedAt) this.interruptedAt = id;
      return this.interruptedAt >= this.latestRoot ? 'interrupted' : 'stale';
    }
    if (id < this.latestRoot) return 'stale';
    this.latestRoot = id;
    return this.interruptedAt >= id ? 'interrupted' : undefined;
  }

  private checkpointsOf(ns: string): Map<string, Kept> {
    let checkpoints = this.namespaces.get(ns);
    if (!checkpoints) {
      checkpoints = new Map();
      this.namespaces.set(ns, checkpoints);
    }
    return checkpoints;
  }

  private valuesOf(ns: string): Map<string, { record: Buffer; count: number }> {
    let values = this.values.get(ns);
    if (!values) {
      values = new Map();
      this.values.set(ns, values);
    }
    return values;
  }

  /** Drops the checkpoint's references, and every value nothing refers to any more. */
  private release(ns: string, kept: Kept): void {
    const values = this.valuesOf(ns);
    for (const [channel, { writer }] of kept.refs) {
      const name = `${channel}\0${writer}`;
      const value = values.get(name);
      if (value && --value.count <= 0) values.delete(name);
    }
  }

  /** keepLast: as cpPrune in includes/checkpoints.lua (the floor covers every anchor of what stays, transitively). */
  private prune(ns: string, keepLast: number): void {
    const checkpoints = this.checkpointsOf(ns);
    const ids = [...checkpoints].filter(([, kept]) => kept.record.length > 0).map(([id]) => id);
    if (ids.length <= keepLast) return;
    ids.sort().reverse();
    let floor: string | undefined;
    let lowest: string | undefined;
    let seen = 0;
    for (const id of ids) {
      if (floor !== undefined && id < floor) break;
      seen += 1;
      for (const anchor of checkpoints.get(id)?.anchors.values() ?? []) if (lowest === undefined || anchor < lowest) lowest = anchor;
      if (lowest === '') return; // needed back to the first checkpoint: nothing can go
      if (seen >= keepLast) floor = lowest !== undefined && lowest < id ? lowest : id;
    }
    if (floor === undefined) return;
    let dropped = 0;
    for (const id of ids) {
      if (id >= floor) continue;
      if (dropped++ >= PRUNE_BATCH) break;
      const gone = checkpoints.get(id);
      if (gone) this.release(ns, gone);
      checkpoints.delete(id);
    }
  }

  /** Regular writes (idx >= 0) already stored are kept; special ones replace. Returns how many were new. */
  putWrites(ns: string, id: string, taskId: string, writes: readonly { idx: number; record: Buffer }[]): number {
    let checkpoints = this.namespaces.get(ns);
    if (!checkpoints) {
      checkpoints = new Map();
      this.namespaces.set(ns, checkpoints);
    }
    let kept = checkpoints.get(id);
    if (!kept) {
      // Writes for a checkpoint not stored (yet): kept like the Redis hash keeps them, without a record.
      kept = { record: Buffer.alloc(0), refs: new Map(), anchors: new Map(), writes: new Map() };
      checkpoints.set(id, kept);
    }
    let added = 0;
    for (const { idx, record } of writes) {
      const name = `${taskId}\0${idx}`;
      if (kept.writes.has(name) && idx >= 0) continue;
      if (!kept.writes.has(name)) added += 1;
      kept.writes.set(name, Buffer.from(record));
    }
    return added;
  }

  read(ns: string, id: string | undefined): StoredCheckpoint | undefined {
    const checkpoints = this.namespaces.get(ns);
    if (!checkpoints) return undefined;
    const wanted = id ?? newestWithRecord(checkpoints);
    const kept = wanted === undefined ? undefined : checkpoints.get(wanted);
    if (wanted === undefined || !kept || kept.record.length === 0) return undefined;
    return this.stored(ns, wanted, kept);
  }

  /** Like checkpoint-list-2: members "ns\0id" newest first (namespaces in reverse order), after `cursor`. */
  page(ns: string | undefined, before: string | undefined, cursor: string | null, limit: number): CheckpointPage {
    const members: string[] = [];
    for (const [name, checkpoints] of this.namespaces) {
      if (ns !== undefined && name !== ns) continue;
      for (const id of checkpoints.keys()) members.push(`${name}\0${id}`);
    }
    members.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    const from = cursor === null ? 0 : members.findIndex((m) => m < cursor);
    const slice = from < 0 ? [] : members.slice(from, from + limit);
    const items: StoredCheckpoint[] = [];
    for (const member of slice) {
      const cut = member.indexOf('\0');
      const [name, id] = [member.slice(0, cut), member.slice(cut + 1)];
      const kept = this.namespaces.get(name)?.get(id);
      if ((before === undefined || id < before) && kept && kept.record.length > 0) items.push(this.stored(name, id, kept));
    }
    return { items, next: slice.length === limit ? (slice.at(-1) ?? null) : null };
  }

  private stored(ns: string, id: string, kept: Kept): StoredCheckpoint {
    const values = this.valuesOf(ns);
    return {
      ns,
      id,
      record: Buffer.from(kept.record),
      values: [...kept.refs].map(([channel, { writer }]) => ({ channel, record: Buffer.from(values.get(`${channel}\0${writer}`)?.record ?? Buffer.alloc(0)) })),
      writes: [...kept.writes].map(([name, record]) => {
        const cut = name.lastIndexOf('\0');
        return { taskId: name.slice(0, cut), idx: Number(name.slice(cut + 1)), record: Buffer.from(record) };
      }),
    };
  }
}

function newestWithRecord(checkpoints: Map<string, Kept>): string | undefined {
  let newest: string | undefined;
  for (const [id, kept] of checkpoints) if (kept.record.length > 0 && (newest === undefined || id > newest)) newest = id;
  return newest;
}
