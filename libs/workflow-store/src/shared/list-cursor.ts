import { InvalidInputError } from '../errors/invalid-input.error.js';
import type { ListPosition } from './list-order.js';

/** Cursors are opaque to callers: base64url of the filter prefix, the shard and the last index key returned there. */
export function encodeCursor(prefix: string, position: ListPosition): string {
  return Buffer.from(JSON.stringify({ v: 2, p: prefix, s: position.shard, k: position.after ?? null }), 'utf8').toString('base64url');
}

/** Where the previous page stopped; refuses a malformed cursor, one made for another filter, or one of format v1. */
export function decodeCursor(cursor: string, prefix: string, shards: number): ListPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const value = decoded as { v?: unknown; p?: unknown; s?: unknown; k?: unknown } | undefined;
  const wellFormed =
    value !== undefined &&
    value !== null &&
    value.v === 2 &&
    typeof value.p === 'string' &&
    Number.isInteger(value.s) &&
    (value.s as number) >= 0 &&
    (value.k === null || typeof value.k === 'string');
  if (!wellFormed) {
    const old = value && typeof value === 'object' && value.v === 1 ? ' (a cursor from before the storage format upgrade: start the walk again)' : '';
    throw new InvalidInputError([{ path: 'cursor', message: `is not a cursor returned by list${old}` }]);
  }
  if (value.p !== prefix || (typeof value.k === 'string' && !value.k.startsWith(prefix))) {
    throw new InvalidInputError([{ path: 'cursor', message: 'belongs to a list with a different type/status filter' }]);
  }
  if ((value.s as number) >= shards) {
    throw new InvalidInputError([{ path: 'cursor', message: 'belongs to a store with another shard count (REDIS_SHARDS changed): start the walk again' }]);
  }
  return { shard: value.s as number, ...(typeof value.k === 'string' ? { after: value.k } : {}) };
}
