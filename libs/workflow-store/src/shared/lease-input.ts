import { z } from 'zod';
import type { LimitsOptions } from '../config/workflow-store.options.js';
import { InvalidInputError } from '../errors/invalid-input.error.js';
import { leaseOwnerSchema, versionSchema } from '../workflow.schema.js';

/** The shortest lease: below it a holder could not renew in time over a real network. */
export const MIN_LEASE_TTL_MS = 100;

export const acquireLeaseSchema = z.strictObject({
  owner: leaseOwnerSchema,
  ttlMs: z.number().int('must be a whole number of ms'),
});

/** Options of `releaseLease`. */
export const releaseLeaseOptionsSchema = z.strictObject({ expectedVersion: versionSchema.optional() });

/** A lease duration within 100 ms – LEASE_MAX_TTL_MS. */
export function checkLeaseTtl(ttlMs: number, limits: LimitsOptions): number {
  if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < MIN_LEASE_TTL_MS || ttlMs > limits.leaseMaxTtlMs) {
    throw new InvalidInputError([{ path: 'ttlMs', message: `must be a whole number of ms from ${MIN_LEASE_TTL_MS} to ${limits.leaseMaxTtlMs} (LEASE_MAX_TTL_MS)` }]);
  }
  return ttlMs;
}
