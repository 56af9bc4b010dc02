import { createHash } from 'node:crypto';
import type { ReplayInfo } from '../workflow.types.js';

/** An idempotency key bound to the request it was first used for. */
export interface Idempotency {
  key: string;
  /** Hash of the request's kind, target id and meaningful content: a reused key must carry the same one. */
  fingerprint: string;
}

/** What the backends record per key: the outcome's one-letter code, as stored by the Lua scripts. */
export type OutcomeCode = 'C' | 'W' | 'T' | 'D';

const OUTCOMES: Record<OutcomeCode, ReplayInfo['outcome']> = { C: 'created', W: 'written', T: 'touched', D: 'deleted' };

export function outcomeOf(code: string): ReplayInfo['outcome'] {
  const outcome = OUTCOMES[code as OutcomeCode];
  if (!outcome) throw new Error(`unknown idempotency outcome code ${code}`);
  return outcome;
}

/**
 * The request's fingerprint: SHA-256 over the kind of write, the target id and the parts that decide what it
 * does (serialised state, labels, TTL, expected version), 16 bytes base64url. NUL cannot occur in any part but the
 * state JSON, which comes last.
 */
export function fingerprintOf(kind: string, id: string, parts: readonly (string | number | undefined)[], body?: string): string {
  const hash = createHash('sha256').update(kind).update('\u0000').update(id);
  for (const part of parts) hash.update('\u0000').update(part === undefined ? '\u0001' : String(part));
  if (body !== undefined) hash.update('\u0000').update(body);
  return hash.digest('base64url').slice(0, 22);
}

export function idempotencyOf(key: string | undefined, fingerprint: () => string): Idempotency | undefined {
  return key === undefined ? undefined : { key, fingerprint: fingerprint() };
}

/**
 * The id of a workflow created without one but with an idempotency key: a UUID (version 8, RFC 9562) from the key's
 * SHA-256, so a retry of that create targets the same workflow and finds its key there.
 */
export function idFromIdempotencyKey(key: string): string {
  const hex = createHash('sha256').update('workflow-store create\u0000').update(key).digest('hex');
  const variant = ((parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Whether the workflow stored now differs from the one a remembered write left, given what the key recorded (the
 * version and creation time in ms of that workflow). Two lives of one id created in the same millisecond at the
 * same version cannot be told apart.
 */
export function changedSince(outcome: ReplayInfo['outcome'], version: number, createdMs: number, current: { version: number; createdMs: number } | null): boolean {
  if (outcome === 'deleted') return current !== null;
  return current === null || current.version !== version || current.createdMs !== createdMs;
}

const replays = new WeakMap<object, ReplayInfo>();

/** Marks a write's result as a replay (see `replayOf`). */
export function markReplay<T extends object>(result: T, info: ReplayInfo): T {
  replays.set(result, info);
  return result;
}

/**
 * Whether the result of a write (the workflow, the JSON form, or a delete result) answered a repeat of an earlier
 * write with the same idempotency key, and what that write did; `undefined` for a write applied now.
 */
export function replayOf(result: object): ReplayInfo | undefined {
  return replays.get(result);
}
