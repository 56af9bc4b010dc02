import type { ListQuery, Workflow } from '../workflow.types.js';

/**
 * The ordering behind `list`, shared by every backend so cursors mean the same thing everywhere.
 *
 * Each workflow has one index key per kind of filter, and within one filter's range the keys differ only in the id:
 * `a\0id` (no filter), `y\0type\0id` (type), `t\0type\0status\0id` (type and status), `s\0status\0id` (status). So a
 * workflow's position in a walk never moves while its labels change: a walk that resumes after a key neither
 * repeats nor skips anything that matched the filter all along. Ids, types and statuses are ASCII from a safe
 * charset without NUL, so NUL separates the parts and JavaScript string order equals Redis' byte order.
 */
const SEP = '\u0000';

/** `z`: stalled workflows (their lease expired without release); the entry exists only while they are. */
export type IndexKind = 'a' | 'y' | 't' | 's' | 'z';

/** Where a walk stands: the shard it is in (always 0 on the memory backend) and the last key returned there. */
export interface ListPosition {
  shard: number;
  /** Exclusive lower bound within the shard, or undefined to start at the shard's first key. */
  after?: string;
}

export interface ListRange {
  /** Every index key of the filter starts with this. */
  prefix: string;
  /** Where to resume; the start of shard 0 when undefined. */
  position?: ListPosition;
}

export function indexKey(kind: IndexKind, wf: Pick<Workflow, 'id' | 'type' | 'status'>): string {
  switch (kind) {
    case 'a':
      return `a${SEP}${wf.id}`;
    case 'y':
      return `y${SEP}${wf.type}${SEP}${wf.id}`;
    case 't':
      return `t${SEP}${wf.type}${SEP}${wf.status}${SEP}${wf.id}`;
    case 's':
      return `s${SEP}${wf.status}${SEP}${wf.id}`;
    case 'z':
      return `z${SEP}${wf.id}`;
  }
}

/** Which index a query walks, and the prefix its keys share. */
export function rangeOf(query: Pick<ListQuery, 'type' | 'status' | 'stalled'>): { kind: IndexKind; prefix: string } {
  if (query.stalled) return { kind: 'z', prefix: `z${SEP}` };
  if (query.type !== undefined && query.status !== undefined) return { kind: 't', prefix: `t${SEP}${query.type}${SEP}${query.status}${SEP}` };
  if (query.type !== undefined) return { kind: 'y', prefix: `y${SEP}${query.type}${SEP}` };
  if (query.status !== undefined) return { kind: 's', prefix: `s${SEP}${query.status}${SEP}` };
  return { kind: 'a', prefix: `a${SEP}` };
}

/** The index kind of a prefix made by `rangeOf`. */
export function kindOf(prefix: string): IndexKind {
  return prefix[0] as IndexKind;
}

/** The id an index key ends with. */
export function idOfIndexKey(key: string): string {
  return key.slice(key.lastIndexOf(SEP) + 1);
}
