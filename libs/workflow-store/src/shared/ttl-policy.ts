import { InvalidInputError } from '../errors/invalid-input.error.js';
import type { LimitsOptions } from '../config/workflow-store.options.js';

/** Checks a caller's per-workflow TTL against the configured maximum; `undefined` means "keep / use the default". */
export function checkTtl(ttlSeconds: number | undefined, limits: LimitsOptions, path: string): number | undefined {
  if (ttlSeconds !== undefined && ttlSeconds > limits.maxTtlSeconds) {
    throw new InvalidInputError([{ path, message: `must be at most ${limits.maxTtlSeconds} seconds (WORKFLOW_MAX_TTL)` }]);
  }
  return ttlSeconds;
}
