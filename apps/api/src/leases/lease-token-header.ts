import { ProblemException } from '../problem/problem.exception.js';

/** The request header that carries a lease's fencing token (see POST /workflows/:id/lease). */
export const LEASE_TOKEN_HEADER = 'Lease-Token';

/** Decimal digits only, no sign, no leading zero: "1e15", "0x1f", "+7" or "1.0" are not tokens. */
const TOKEN = /^[1-9]\d{0,15}$/;

/**
 * The Lease-Token header as the store's `leaseToken`: undefined when absent, a 400 when it is not one decimal integer
 * the store could have issued (1 to 2^53-1, so it converts to a number exactly).
 */
export function leaseTokenFrom(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  // Node joins repeated custom headers with ", ", which the pattern refuses; an array is refused the same way.
  const token = typeof header === 'string' && TOKEN.test(header) ? Number(header) : undefined;
  if (token === undefined || !Number.isSafeInteger(token)) {
    throw new ProblemException('invalid-input', `${LEASE_TOKEN_HEADER} must be one decimal integer from 1 to ${Number.MAX_SAFE_INTEGER}: a lease's token`);
  }
  return token;
}

/** The Lease-Token header of a route that cannot do without it (renew, release). */
export function requiredLeaseTokenFrom(header: string | string[] | undefined): number {
  const token = leaseTokenFrom(header);
  if (token === undefined) {
    throw new ProblemException('invalid-input', `${LEASE_TOKEN_HEADER} is required: the token POST /workflows/{id}/lease answered with`);
  }
  return token;
}

/**
 * A create (POST /workflows, PUT with If-None-Match: *) has no lease to check: a workflow that does not exist has none.
 * A token sent with one is refused rather than ignored, so a holder whose workflow was deleted meanwhile cannot
 * bring it back under a lease it no longer holds.
 */
export function refuseLeaseTokenOnCreate(header: string | string[] | undefined): void {
  if (header !== undefined) {
    throw new ProblemException('invalid-input', `${LEASE_TOKEN_HEADER} cannot be sent with a create: a workflow that does not exist has no lease`);
  }
}
