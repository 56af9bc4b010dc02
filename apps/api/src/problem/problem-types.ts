/**
 * The stable problem types of the API (RFC 9457). Clients switch on `type`; titles never change meaning.
 * The `outcome-unknown` type is distinct from `store-unavailable`: the write may have been applied, and retrying
 * with the same Idempotency-Key is safe.
 */
export const PROBLEM_TYPES = {
  'invalid-input': { status: 400, title: 'The request is invalid' },
  'invalid-json': { status: 400, title: 'The body is not valid JSON' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Forbidden' },
  'not-found': { status: 404, title: 'No such workflow' },
  'route-not-found': { status: 404, title: 'No such route' },
  'version-not-kept': { status: 404, title: 'That version of the workflow is not kept' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'already-exists': { status: 409, title: 'The workflow already exists' },
  'version-conflict': { status: 409, title: 'The workflow was changed concurrently' },
  // Always 409, also on a conditional write: the lease, not the client's precondition, refused it.
  'lease-held': { status: 409, title: 'Another holder has the lease of the workflow' },
  'lease-lost': { status: 409, title: 'The lease token is no longer current' },
  'precondition-failed': { status: 412, title: 'The precondition failed' },
  'payload-too-large': { status: 413, title: 'The body is too large' },
  'state-too-large': { status: 413, title: 'The state is too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported content type' },
  'idempotency-key-reused': { status: 422, title: 'The Idempotency-Key was used for a different request' },
  'precondition-required': { status: 428, title: 'A precondition (If-Match) is required' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'store-unavailable': { status: 503, title: 'The store is unavailable' },
  'outcome-unknown': { status: 503, title: 'The outcome of the write is unknown' },
  'storage-full': { status: 507, title: 'The store is full' },
  'shutting-down': { status: 503, title: 'The service is shutting down' },
  'storage-format': { status: 500, title: 'The data in the store is in another format' },
  // 501, not 404: the route exists and the workflow may too; this deployment does not provide the feature
  // (EVENTS_RETENTION_SECONDS=0), and retrying will not help until an operator turns it on. A 404 would read as
  // "no such workflow" to a client of /workflows/:id/events, and 503 would invite retries.
  'events-disabled': { status: 501, title: 'The change feed is off' },
  internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemType = keyof typeof PROBLEM_TYPES;

export const PROBLEM_BASE_URI = 'urn:workflow-store:problem:';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

export function problem(type: ProblemType, detail: string, extensions: Record<string, unknown> = {}): ProblemBody {
  const { status, title } = PROBLEM_TYPES[type];
  return { type: `${PROBLEM_BASE_URI}${type}`, title, status, detail, ...extensions };
}
