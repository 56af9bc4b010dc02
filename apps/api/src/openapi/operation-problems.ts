import type { ProblemType } from '../problem/problem-types.js';

/**
 * Every problem each operation can answer, by `method path` as the OpenAPI document spells them. The document's
 * error answers are built from this table (complete-document.ts), and the conformance test checks every answer the
 * tests see against the document, so an answer missing here fails a test instead of going undocumented.
 */

/** Every route behind authentication (all but health, metrics and docs). */
const AUTHENTICATED: ProblemType[] = ['unauthorized', 'forbidden', 'rate-limited', 'shutting-down', 'internal'];
/** Routes that read or write the store. */
const STORE: ProblemType[] = ['store-unavailable', 'storage-format'];
/** Routes that take a JSON body, and DELETEs: a body sent with one is parsed (and refused as any body would be). */
const BODY: ProblemType[] = ['invalid-json', 'invalid-input', 'payload-too-large', 'unsupported-media-type'];
/** Routes with a workflow id in the path. */
const BY_ID: ProblemType[] = ['invalid-input'];
/** Writes: Idempotency-Key, the store's outcome and room. */
const WRITE: ProblemType[] = ['idempotency-key-reused', 'outcome-unknown', 'storage-full'];
/** Writes to an existing workflow: the lease fencing check. */
const FENCED: ProblemType[] = ['lease-held', 'lease-lost'];
/** Writes honouring If-Match (and REQUIRE_IF_MATCH). */
const CONDITIONAL: ProblemType[] = ['precondition-failed', 'precondition-required', 'version-conflict'];
/**
 * Touch and lease release: If-Match honoured when sent, never required (REQUIRE_IF_MATCH leaves them alone), and a
 * version mismatch only ever comes from If-Match, so it is always a 412, never a 409 version-conflict.
 */
const OPTIONAL_IF_MATCH: ProblemType[] = ['precondition-failed'];

const TABLE: Record<string, ProblemType[]> = {
  'post /workflows': [...AUTHENTICATED, ...STORE, ...BODY, ...WRITE, 'already-exists', 'state-too-large'],
  'get /workflows': [...AUTHENTICATED, ...STORE, 'invalid-input'],
  'get /workflows/{id}': [...AUTHENTICATED, ...STORE, ...BY_ID, 'not-found'],
  'put /workflows/{id}': [...AUTHENTICATED, ...STORE, ...BODY, ...WRITE, ...FENCED, ...CONDITIONAL, 'already-exists', 'state-too-large'],
  'patch /workflows/{id}': [...AUTHENTICATED, ...STORE, ...BODY, ...WRITE, ...FENCED, ...CONDITIONAL, 'not-found', 'state-too-large'],
  'delete /workflows/{id}': [...AUTHENTICATED, ...STORE, ...BODY, ...WRITE, ...FENCED, ...CONDITIONAL, 'not-found'],
  'post /workflows/{id}/touch': [...AUTHENTICATED, ...STORE, ...BODY, ...WRITE, ...FENCED, ...OPTIONAL_IF_MATCH, 'not-found'],
  'get /workflows/{id}/versions': [...AUTHENTICATED, ...STORE, ...BY_ID, 'not-found'],
  'get /workflows/{id}/versions/{version}': [...AUTHENTICATED, ...STORE, ...BY_ID, 'not-found', 'version-not-kept'],
  'post /workflows/{id}/lease': [...AUTHENTICATED, ...STORE, ...BODY, 'not-found', 'lease-held', 'outcome-unknown', 'storage-full'],
  'put /workflows/{id}/lease': [...AUTHENTICATED, ...STORE, ...BODY, 'not-found', 'lease-lost', 'outcome-unknown', 'storage-full'],
  'delete /workflows/{id}/lease': [...AUTHENTICATED, ...STORE, ...BODY, ...OPTIONAL_IF_MATCH, 'not-found', 'lease-lost', 'outcome-unknown', 'storage-full'],
  'get /events': [...AUTHENTICATED, ...STORE, 'invalid-input', 'events-disabled'],
  'get /workflows/{id}/events': [...AUTHENTICATED, ...STORE, ...BY_ID, 'events-disabled'],
  'get /admin/export': [...AUTHENTICATED, ...STORE],
  'get /health/live': ['shutting-down'],
  'get /health/ready': ['shutting-down', 'store-unavailable'],
  'get /metrics': ['shutting-down'],
};

/**
 * A request carrying If-Match or If-None-Match is conditional (RFC 9110): the answers that say the workflow is not
 * in the state the request assumed (not-found, already-exists, version-conflict) are 412 precondition-failed then.
 */
const CONDITIONAL_FORMS: ProblemType[] = ['not-found', 'already-exists', 'version-conflict'];

export const OPERATION_PROBLEMS: Record<string, ProblemType[]> = Object.fromEntries(
  Object.entries(TABLE).map(([key, types]) => [key, types.some((t) => CONDITIONAL_FORMS.includes(t)) ? [...new Set([...types, 'precondition-failed' as const])] : types]),
);

/** Operations that need no API key (route-access.ts `isPublicPath`). */
export const PUBLIC_OPERATIONS = new Set(['get /health/live', 'get /health/ready', 'get /metrics']);
