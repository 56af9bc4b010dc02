import { HttpException } from '@nestjs/common';
import {
  AlreadyExistsError,
  EventsDisabledError,
  IdempotencyKeyReusedError,
  InvalidInputError,
  LeaseHeldError,
  LeaseLostError,
  NotFoundError,
  StateTooLargeError,
  StorageFormatError,
  VersionConflictError,
  VersionNotKeptError,
  WorkflowStoreError,
} from '#workflow-store';
import { problem, type ProblemBody, type ProblemType } from './problem-types.js';
import { ProblemException } from './problem.exception.js';

const STORE_CODES: Record<string, ProblemType> = {
  'store-unavailable': 'store-unavailable',
  'outcome-unknown': 'outcome-unknown',
  'storage-full': 'storage-full',
};

/** What the filter needs to know about the request to choose 404/409 versus 412. */
export interface RequestFacts {
  conditional: boolean;
}

/**
 * The one mapping from anything thrown to a problem body. Store messages about the backend are generic to
 * clients (the logs carry the detail); validation messages are returned as they are, with field paths.
 */
export function toProblem(error: unknown, facts: RequestFacts): { body: ProblemBody; internal: boolean } {
  if (error instanceof ProblemException) return { body: problem(error.problemType, error.detail, error.extensions), internal: false };
  if (error instanceof InvalidInputError) {
    return { body: problem('invalid-input', error.message, { errors: error.issues }), internal: false };
  }
  if (error instanceof StateTooLargeError) {
    return { body: problem('state-too-large', error.message, { maxBytes: error.maxBytes }), internal: false };
  }
  // Always 422, conditional request or not: the key is the problem, not the precondition (the store checks it first).
  if (error instanceof IdempotencyKeyReusedError) {
    const detail =
      `Idempotency-Key ${error.operationId} was already used for a different request on workflow ${error.id}; nothing was written. ` +
      'Use a new Idempotency-Key for a new request.';
    return { body: problem('idempotency-key-reused', detail), internal: false };
  }
  // The store's message says what it found and what the operator has to do (set REDIS_SHARDS, run an upgrade).
  if (error instanceof StorageFormatError) return { body: problem('storage-format', error.message), internal: false };
  // Before the precondition mappings: a lease refuses a write whatever If-Match said (the store checks it first).
  if (error instanceof LeaseHeldError) {
    return { body: problem('lease-held', error.message, { owner: error.owner, expiresAt: error.expiresAt }), internal: false };
  }
  if (error instanceof LeaseLostError) {
    // Never the live lease's token: a client that "recovered" by writing with it would defeat the fencing.
    return { body: problem('lease-lost', `lease token ${error.token} of workflow ${error.id} is no longer current: the lease expired, was released or taken over`), internal: false };
  }
  if (error instanceof VersionConflictError) {
    const type = facts.conditional ? 'precondition-failed' : 'version-conflict';
    return { body: problem(type, error.message, { currentVersion: error.currentVersion }), internal: false };
  }
  if (error instanceof NotFoundError) {
    const type = facts.conditional ? 'precondition-failed' : 'not-found';
    return { body: problem(type, error.message), internal: false };
  }
  // The workflow exists; only that version is not kept (or not written yet): the client learns what it can ask for.
  if (error instanceof VersionNotKeptError) {
    const extensions = { version: error.version, currentVersion: error.currentVersion, oldestVersion: error.oldestVersion };
    return { body: problem('version-not-kept', error.message, extensions), internal: false };
  }
  if (error instanceof EventsDisabledError) {
    return { body: problem('events-disabled', 'The change feed is off on this service (EVENTS_RETENTION_SECONDS=0): no events are recorded to stream.'), internal: false };
  }
  if (error instanceof AlreadyExistsError) {
    const type = facts.conditional ? 'precondition-failed' : 'already-exists';
    return { body: problem(type, error.message, { currentVersion: error.currentVersion }), internal: false };
  }
  if (error instanceof WorkflowStoreError && STORE_CODES[error.code]) {
    const type = STORE_CODES[error.code] as ProblemType;
    const detail =
      type === 'outcome-unknown'
        ? 'The write was sent but its reply was lost; it may or may not have been applied. Retrying with the same Idempotency-Key is safe.'
        : type === 'storage-full'
          ? 'The store is out of memory; nothing was written. Reads and deletes still work.'
          : 'The store cannot be reached right now; nothing was written. Retry shortly.';
    return { body: problem(type, detail), internal: false };
  }
  // Nest's exception layer wraps Fastify's body-parsing errors in an HttpException whose cause is the original.
  const fastify = fromFastifyError(error instanceof HttpException && error.cause !== undefined ? error.cause : error);
  if (fastify) return { body: fastify, internal: false };
  if (error instanceof HttpException) return { body: fromHttpException(error), internal: false };
  return { body: problem('internal', 'An unexpected error occurred; it has been logged.'), internal: true };
}

function fromHttpException(error: HttpException): ProblemBody {
  const status = error.getStatus();
  if (status === 404) return problem('route-not-found', error.message);
  if (status === 405) return problem('method-not-allowed', error.message);
  if (status === 413) return problem('payload-too-large', error.message);
  if (status === 415) return problem('unsupported-media-type', error.message);
  // Terminus reports a failed readiness check as 503 with the check results.
  if (status === 503) return problem('store-unavailable', 'Not ready', { checks: error.getResponse() });
  // Any other client error: invalid-input, with its own status (400), so type and status always agree.
  if (status >= 400 && status < 500) return problem('invalid-input', error.message);
  return problem('internal', 'An unexpected error occurred; it has been logged.');
}

/** Errors Fastify raises while reading the body, before any controller runs. */
function fromFastifyError(error: unknown): ProblemBody | undefined {
  const e = error as { code?: string; statusCode?: number; message?: string };
  if (typeof e?.code !== 'string' || !e.code.startsWith('FST_')) {
    if (error instanceof SyntaxError) return problem('invalid-json', error.message);
    return undefined;
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('payload-too-large', 'The request body is larger than BODY_LIMIT_BYTES.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem('unsupported-media-type', e.message ?? 'Unsupported content type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem('invalid-json', 'The body is empty but the content type says JSON.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return problem('invalid-json', 'The body is not valid JSON.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // Fastify's own answer is 414 with the whole path in the message: a bad id is a 400, and not repeated back.
      return problem('invalid-input', 'A path segment is longer than 100 characters; workflow ids are 1-64 characters.');
    default:
      // Another refusal of the request before routing: invalid-input, whose status is 400 (never a type and a
      // status that disagree, e.g. invalid-input with 431).
      return e.statusCode && e.statusCode < 500 ? problem('invalid-input', e.message ?? 'Invalid request') : undefined;
  }
}
