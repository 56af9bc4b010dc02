import type { WorkflowStore } from '#workflow-store';
import { ProblemException } from '../problem/problem.exception.js';

/** The ETag of a workflow is its version, as a strong entity tag. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** A parsed If-Match / If-None-Match: `*`, or the versions listed (weak tags kept apart: If-Match never matches them). */
export type EntityTagCondition = { any: true } | { any: false; strong: number[]; weak: number[] };

const TAG = /^(W\/)?"([^"]*)"$/;
/** The usual header, one strong version tag: answered without splitting the list (same result as the general path). */
const ONE_STRONG_VERSION = /^"([1-9]\d{0,15})"$/;

/** Parses an entity-tag list (RFC 9110 §8.8.3); tags that are not versions can never match and are kept out. */
export function parseEntityTags(header: string | undefined, name: string): EntityTagCondition | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return { any: true };
  const one = ONE_STRONG_VERSION.exec(value);
  if (one) return { any: false, strong: [Number(one[1])], weak: [] };
  const strong: number[] = [];
  const weak: number[] = [];
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = TAG.exec(part);
    if (!match) throw new ProblemException('invalid-input', `${name} must be * or a list of quoted entity tags like "3"`);
    const version = /^[1-9]\d{0,15}$/.test(match[2] ?? '') ? Number(match[2]) : undefined;
    if (version !== undefined) (match[1] ? weak : strong).push(version);
  }
  return { any: false, strong, weak };
}

/** If-Match uses the strong comparison: weak tags never match. */
export function ifMatchAccepts(condition: EntityTagCondition, version: number): boolean {
  return condition.any || condition.strong.includes(version);
}

/** If-None-Match uses the weak comparison. */
export function ifNoneMatchHits(condition: EntityTagCondition, version: number): boolean {
  return condition.any || condition.strong.includes(version) || condition.weak.includes(version);
}

/**
 * The version a write must find by its If-Match, or undefined when it has none. One strong tag is used as it is (the
 * store compares it atomically); `*` or a list needs the current version. `anyIsExisting`: the write already refuses
 * a missing workflow (a 412 on a conditional request), so `If-Match: *` needs no read and pins no version: a retry
 * with the same Idempotency-Key after the first attempt succeeded is then the same request, and replayed.
 */
export async function expectedVersionOf(
  store: WorkflowStore,
  id: string,
  ifMatch: EntityTagCondition | undefined,
  anyIsExisting = false,
): Promise<number | undefined> {
  if (!ifMatch || (ifMatch.any && anyIsExisting)) return undefined;
  if (!ifMatch.any && ifMatch.strong.length === 1 && ifMatch.weak.length === 0) return ifMatch.strong[0] as number;
  const current = await store.get(id);
  if (!current || !ifMatchAccepts(ifMatch, current.version)) {
    throw new ProblemException('precondition-failed', `If-Match does not match workflow ${id}`, current ? { currentVersion: current.version } : {});
  }
  return current.version;
}
