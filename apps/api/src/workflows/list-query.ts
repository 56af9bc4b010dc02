import type { ListQuery } from '#workflow-store';
import { ProblemException } from '../problem/problem.exception.js';

const KNOWN = new Set(['type', 'status', 'limit', 'cursor']);

/** Query string → ListQuery; the store validates values, this only refuses unknown or repeated parameters. */
export function listQueryFrom(query: Record<string, unknown>): ListQuery {
  const result: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!KNOWN.has(name)) throw new ProblemException('invalid-input', `unknown query parameter ${name}; allowed: type, status, limit, cursor`);
    if (typeof value !== 'string') throw new ProblemException('invalid-input', `query parameter ${name} must be given once`);
    if (name === 'limit') {
      if (!/^\d{1,6}$/.test(value)) throw new ProblemException('invalid-input', 'limit must be a whole number between 1 and 1000');
      result.limit = Number(value);
    } else {
      result[name] = value;
    }
  }
  return result as ListQuery;
}
