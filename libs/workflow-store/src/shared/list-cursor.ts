import { InvalidInputError } from '../errors/invalid-input.error.js';

/** Cursors are opaque to callers: base64url of the filter prefix and the last index key returned. */
export function encodeCursor(prefix: string, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 1, p: prefix, k: lastKey }), 'utf8').toString('base64url');
}

/** The last key of the previous page; refuses a malformed cursor or one made for another filter. */
export function decodeCursor(cursor: string, prefix: string): string {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const value = decoded as { v?: unknown; p?: unknown; k?: unknown } | undefined;
  if (!value || value.v !== 1 || typeof value.k !== 'string' || typeof value.p !== 'string') {
    throw new InvalidInputError([{ path: 'cursor', message: 'is not a cursor returned by list' }]);
  }
  if (value.p !== prefix || !value.k.startsWith(prefix)) {
    throw new InvalidInputError([{ path: 'cursor', message: 'belongs to a list with a different type/status filter' }]);
  }
  return value.k;
}
