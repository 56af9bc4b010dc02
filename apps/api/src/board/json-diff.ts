/** One difference between two JSON values, at a path such as `state.items[3].amount`. */
export interface JsonChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  /** The value before (changed, removed), as JSON cut to `PREVIEW_CHARS`. */
  before?: string;
  /** The value after (changed, added), as JSON cut to `PREVIEW_CHARS`. */
  after?: string;
}

export interface JsonDiff {
  /** At most `limit` changes, in document order. */
  changes: JsonChange[];
  /** How many changes there are in all (more than `changes.length` when cut at `limit`). */
  total: number;
}

/** How much of a changed value is shown: enough to recognise it, never a whole 1 MiB sub-tree. */
export const PREVIEW_CHARS = 160;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * The changes from `before` to `after`, member by member (objects by key, arrays by index): what a reviewer reads to
 * see what a step did. Unchanged sub-trees are passed over without serialising them.
 */
export function diffJson(before: unknown, after: unknown, root: string, limit = 500): JsonDiff {
  const diff: JsonDiff = { changes: [], total: 0 };
  walk(before, after, root, diff, limit);
  return diff;
}

function walk(before: unknown, after: unknown, path: string, diff: JsonDiff, limit: number): void {
  if (before === after) return;
  if (isObject(before) && isObject(after)) {
    for (const key of Object.keys(before)) walk(before[key], key in after ? after[key] : ABSENT, member(path, key), diff, limit);
    for (const key of Object.keys(after)) if (!(key in before)) walk(ABSENT, after[key], member(path, key), diff, limit);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length);
    for (let i = 0; i < length; i++) walk(i < before.length ? before[i] : ABSENT, i < after.length ? after[i] : ABSENT, `${path}[${i}]`, diff, limit);
    return;
  }
  const change: JsonChange =
    before === ABSENT
      ? { path, kind: 'added', after: preview(after) }
      : after === ABSENT
        ? { path, kind: 'removed', before: preview(before) }
        : { path, kind: 'changed', before: preview(before), after: preview(after) };
  diff.total++;
  if (diff.changes.length < limit) diff.changes.push(change);
}

/** Marks a member one side does not have (distinct from `null`, a value). */
const ABSENT = Symbol('absent');

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function member(path: string, key: string): string {
  if (path === '') return key;
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}
