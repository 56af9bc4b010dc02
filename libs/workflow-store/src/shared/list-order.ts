import type { ListQuery, Workflow } from '../workflow.types.js';

/**
 * The ordering behind `list`, shared by every backend so cursors mean the same thing everywhere.
 *
 * Each workflow has one index key per kind of filter; keys of one kind sort by (label…, id). A page is "the next
 * `limit` keys after the cursor that start with the filter's prefix". Ids, types and statuses are ASCII from a
 * safe charset without NUL, so NUL separates the parts and JavaScript string order equals Redis' byte order.
 */
const SEP = '\u0000';

export type IndexKind = 'a' | 't' | 's';

export interface ListRange {
  /** Every index key of the filter starts with this. */
  prefix: string;
  /** Exclusive lower bound (the previous page's last key), or undefined for the first page. */
  after?: string;
}

export function indexKey(kind: IndexKind, wf: Pick<Workflow, 'id' | 'type' | 'status'>): string {
  switch (kind) {
    case 'a':
      return `a${SEP}${wf.id}`;
    case 't':
      return `t${SEP}${wf.type}${SEP}${wf.status}${SEP}${wf.id}`;
    case 's':
      return `s${SEP}${wf.status}${SEP}${wf.id}`;
  }
}

/** All index keys of a workflow, one per kind. */
export function indexKeys(wf: Pick<Workflow, 'id' | 'type' | 'status'>): [string, string, string] {
  return [indexKey('a', wf), indexKey('t', wf), indexKey('s', wf)];
}

/** Which index a query walks, and the prefix its keys share. */
export function rangeOf(query: Pick<ListQuery, 'type' | 'status'>): { kind: IndexKind; prefix: string } {
  if (query.type !== undefined) {
    const statusPart = query.status !== undefined ? `${query.status}${SEP}` : '';
    return { kind: 't', prefix: `t${SEP}${query.type}${SEP}${statusPart}` };
  }
  if (query.status !== undefined) return { kind: 's', prefix: `s${SEP}${query.status}${SEP}` };
  return { kind: 'a', prefix: `a${SEP}` };
}

/** The type/status filter a prefix stands for (the inverse of `rangeOf`). */
export function filterOf(prefix: string): { type?: string; status?: string } {
  const [kind, first, second] = prefix.split(SEP);
  if (kind === 't') return second ? { type: first, status: second } : { type: first };
  if (kind === 's') return { status: first };
  return {};
}
