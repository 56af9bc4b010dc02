import { applyDecorators } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { LEASE_TOKEN_HEADER } from '../leases/lease-token-header.js';
import { ApiProblems } from './problem-responses.js';

const LEASE_TOKEN_SCHEMA = { type: 'string', pattern: '^[1-9][0-9]{0,15}$' };

/** The 409s a write to a leased workflow answers; the lease routes document their own. */
export const LEASE_WRITE_CONFLICTS: [number, string] = [
  409,
  'lease-held: the workflow has a live lease and no Lease-Token was sent (the body has owner and expiresAt); ' +
    'lease-lost: the Lease-Token is not the live lease\'s (it expired, was released or taken over). Nothing was written',
];

/** Writes to an existing workflow: the optional Lease-Token header (fencing) and its two 409 problems. */
export function ApiLeaseFenced(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: LEASE_TOKEN_HEADER,
      required: false,
      description:
        'The token of the live lease on the workflow (POST /workflows/{id}/lease), as a decimal integer. Required while the workflow ' +
        'is leased (409 lease-held without it; 409 lease-lost with any other token). Malformed, or sent with If-None-Match: * ' +
        '(a create: a workflow that does not exist has no lease): 400. ' +
        'A write replayed with its Idempotency-Key is answered before the lease is checked.',
      schema: LEASE_TOKEN_SCHEMA,
    }),
    ApiProblems(LEASE_WRITE_CONFLICTS),
  );
}

/** Renew and release: the Lease-Token header is what says which lease. */
export function ApiRequiredLeaseToken(): MethodDecorator {
  return ApiHeader({
    name: LEASE_TOKEN_HEADER,
    required: true,
    description: 'The token of the lease, as POST /workflows/{id}/lease answered it (decimal integer). Missing or malformed: 400',
    schema: LEASE_TOKEN_SCHEMA,
  });
}
