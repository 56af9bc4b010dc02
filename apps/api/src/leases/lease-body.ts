import { InvalidInputError, type AcquireLeaseOptions } from '#workflow-store';

type JsonBody = Record<string, unknown>;

/** A JSON object body, or a 400 that says what the route takes (the store would name it `options`). */
function objectBody(body: unknown, shape: string): JsonBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidInputError([{ path: 'body', message: `must be a JSON object ${shape}` }]);
  }
  return body as JsonBody;
}

/**
 * The body of POST /workflows/:id/lease. Only its shape is checked here: the store validates the fields (unknown
 * ones, the owner's charset, ttlMs against 100 – LEASE_MAX_TTL_MS) with the same messages as for its other callers.
 */
export function acquireBodyFrom(body: unknown): AcquireLeaseOptions {
  return objectBody(body, '{ "owner": "...", "ttlMs": n }') as unknown as AcquireLeaseOptions;
}

/**
 * The ttlMs of PUT /workflows/:id/lease's body `{ "ttlMs": n }`. The store's renewLease takes the number alone, so
 * unknown fields and a missing ttlMs are refused here; the store checks its bounds.
 */
export function renewTtlFrom(body: unknown): number {
  const fields = objectBody(body, '{ "ttlMs": n }');
  const unknown = Object.keys(fields).filter((name) => name !== 'ttlMs');
  if (unknown.length > 0) throw new InvalidInputError(unknown.map((path) => ({ path, message: 'is not a field of this request' })));
  if (fields.ttlMs === undefined) throw new InvalidInputError([{ path: 'ttlMs', message: 'is required' }]);
  // Anything but a whole number in range (a string, 1.5) is the store's InvalidInputError, naming the bounds.
  return fields.ttlMs as number;
}
