/** Deepest nesting of arrays and objects a JSON body may have: deep enough for any document, far from a stack overflow. */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether a parsed JSON value nests arrays/objects deeper than `max` (a scalar is depth 0, `{}` and `[]` depth 1).
 * Checked right after the parse, before anything that recurses over the body (merge patch, validation, stringify):
 * V8's JSON.parse and the prototype check of Fastify's secure parser are iterative, so a 100 000-deep body is
 * parsed safely, and this walk stops one level past `max`. Walking the parsed value costs a tenth of scanning the
 * text for brackets (measured: 0.5 µs against 3.4–6 µs for the 1 KB body of the bench, 13 µs against 87 µs at 32 KB).
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (max === 0) return true;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) if (nestsDeeperThan(item, max - 1)) return true;
    return false;
  }
  for (const key in value) {
    if (nestsDeeperThan((value as Record<string, unknown>)[key], max - 1)) return true;
  }
  return false;
}
