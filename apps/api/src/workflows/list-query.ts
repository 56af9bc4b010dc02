import type { ListQuery } from '#workflow-store';
import { ProblemException } from '../problem/problem.exception.js';

const KNOWN = new Set(['type', 'status', 'stalled', 'limit', 'cursor']);

/** Query string → ListQuery; the store validates values, this only refuses unknown or repeated parameters. */
export function listQueryFrom(query: Record<string, unknown>): ListQuery {
  const result: Record<string, string | number | true> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!KNOWN.has(name)) throw new ProblemException('invalid-input', `unknown query parameter ${name}; allowed: ${[...KNOWN].join(', ')}`);
    if (typeof value !== 'string') throw new ProblemException('invalid-input', `query parameter ${name} must be given once`);
    if (name === 'limit') {
      if (!/^\d{1,6}$/.test(value)) throw new ProblemException('invalid-input', 'limit must be a whole number between 1 and 1000');
      result.limit = Number(value);
    } else if (name === 'stalled') {
      // Only `true`: "every workflow that is not stalled" is no index the store keeps, so false is refused, not ignored.
      if (value !== 'true') throw new ProblemException('invalid-input', 'stalled must be true (omit it to list every workflow)');
      result.stalled = true;
    } else {
      result[name] = value;
    }
  }
  // The stalled index is not kept per type or status: the store would walk it and ignore the filter.
  if (result.stalled && (result.type !== undefined || result.status !== undefined)) {
    throw new ProblemException('invalid-input', 'stalled cannot be combined with type or status');
  }
  return result as ListQuery;
}
