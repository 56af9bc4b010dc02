import type { WorkflowMeta } from '../workflow-json.js';
import type { VersionStamp } from './storage-backend.js';

/** Default WORKFLOW_STATE_CACHE_BYTES: 32 MiB (about 16 000 states of 1 KB, 500 of 32 KB). */
export const DEFAULT_STATE_CACHE_BYTES = 32 * 1024 * 1024;
/** Most entries whatever their size: a Map entry and its object cost ~150 B more than the state. */
const MAX_ENTRIES = 100_000;
/** Bytes counted per entry on top of its state (the entry object, the Map slot, the key). */
const ENTRY_OVERHEAD_BYTES = 200;
/** One state may take at most this share of the budget, so one large state cannot evict all the others. */
const MAX_SHARE = 8;
/** An eviction goes down to this share of each bound, so that it walks the Map once per many writes. */
const EVICT_TO = 0.9;

/** A state this process read or wrote, as the JSON text (immutable: callers can never reach it). */
export interface CachedState {
  version: number;
  stamp: VersionStamp;
  stateJson: string;
}

/**
 * The last state this process read or wrote per workflow (least recently used first out), bounded by bytes and by
 * entries. Only a hint: a write that uses it names the version and the write that made it (`stamp`), and the
 * backend refuses when the stored version is another write's, so an entry that is out of date costs a refusal and a
 * read, never a wrong write. Entries are keyed by tenant and id (one cache for the store and its tenant views).
 *
 * Bytes are counted as 2 per character of the JSON (V8 stores a string in 1 or 2 bytes per character) plus a fixed
 * overhead per entry, so the budget is an upper bound of the memory the entries hold.
 */
export class StateCache {
  private readonly entries = new Map<string, CachedState>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): CachedState | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      // Most recently used last: a Map iterates in insertion order.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  /**
   * Keeps the state a write or read saw. A version made in its workflow's creation millisecond is not kept: another
   * life of the id created in that same millisecond could reach the same version at the same times (the stamp
   * could not tell them apart); a version written in a later millisecond cannot be repeated by any other life.
   */
  set(key: string, meta: WorkflowMeta, stateJson: string, knownStamp?: VersionStamp): void {
    // The backend's ms when it gave them (the common case), else the ISO times parsed back (the same numbers).
    const stamp = knownStamp ?? { createdMs: Date.parse(meta.createdAt), updatedMs: Date.parse(meta.updatedAt) };
    const size = cost(stateJson);
    this.delete(key);
    if (!(stamp.updatedMs > stamp.createdMs) || size > this.maxBytes / MAX_SHARE) return;
    this.entries.set(key, { version: meta.version, stamp, stateJson });
    this.bytes += size;
    if (this.bytes > this.maxBytes || this.entries.size > MAX_ENTRIES) this.evict();
  }

  /**
   * Drops the least recently used entries, down to EVICT_TO of both bounds, in one walk. Not one entry per write,
   * each from a new iterator: V8's Map keeps deleted slots until it rehashes and every new iterator walks them from
   * the start, which cost 5–70 µs per write at 10 000–300 000 entries.
   */
  private evict(): void {
    const bytes = this.maxBytes * EVICT_TO;
    const entries = MAX_ENTRIES * EVICT_TO;
    for (const key of this.entries.keys()) {
      if (this.bytes <= bytes && this.entries.size <= entries) return;
      this.delete(key);
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= cost(entry.stateJson);
  }

  /** For tests and diagnostics. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}

function cost(stateJson: string): number {
  return stateJson.length * 2 + ENTRY_OVERHEAD_BYTES;
}
