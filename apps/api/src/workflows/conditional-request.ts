import { ProblemException } from '../problem/problem.exception.js';

/** The ETag of a workflow is its version, as a strong entity tag. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** A parsed If-Match / If-None-Match: `*`, or the versions listed (weak tags kept apart: If-Match never matches them). */
export type EntityTagCondition = { any: true } | { any: false; strong: number[]; weak: number[] };

const TAG = /^(W\/)?"([^"]*)"$/;

/** Parses an entity-tag list (RFC 9110 §8.8.3); tags that are not versions can never match and are kept out. */
export function parseEntityTags(header: string | undefined, name: string): EntityTagCondition | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return { any: true };
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
