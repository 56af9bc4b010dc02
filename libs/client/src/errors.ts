import type { ProblemBody } from './types.js';

export const PROBLEM_TYPE_PREFIX = 'urn:workflow-store:problem:';

/** The service's problem types (apps/api/src/problem/problem-types.ts); `code` is one of these, or another string. */
export type ProblemCode =
  | 'invalid-input'
  | 'invalid-json'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'route-not-found'
  | 'version-not-kept'
  | 'method-not-allowed'
  | 'already-exists'
  | 'version-conflict'
  | 'lease-held'
  | 'lease-lost'
  | 'precondition-failed'
  | 'payload-too-large'
  | 'state-too-large'
  | 'unsupported-media-type'
  | 'idempotency-key-reused'
  | 'precondition-required'
  | 'rate-limited'
  | 'store-unavailable'
  | 'outcome-unknown'
  | 'storage-full'
  | 'shutting-down'
  | 'storage-format'
  | 'events-disabled'
  | 'internal';

/**
 * An error answer of the service, parsed from `application/problem+json`. `code` is the stable discriminant (the
 * type's suffix); subclasses below add the extensions their type carries. Other answers that are not problems (a
 * proxy's HTML 502) become a ProblemError with type `about:blank` and `code` `http-<status>`.
 */
export class ProblemError extends Error {
  readonly status: number;
  /** The full type URI, e.g. `urn:workflow-store:problem:not-found`. */
  readonly type: string;
  /** The suffix of `type`: switch on it. */
  readonly code: ProblemCode | (string & {});
  readonly title: string;
  readonly detail: string;
  readonly instance: string | undefined;
  /** Every other member of the body (currentVersion, owner, errors, ...). */
  readonly extensions: Readonly<Record<string, unknown>>;
  /** `Retry-After` of the answer, in ms, when it had one. */
  readonly retryAfterMs: number | undefined;

  constructor(body: ProblemBody, retryAfterMs?: number) {
    super(`${body.status} ${body.title}: ${body.detail}`);
    this.name = new.target.name;
    const { type, title, status, detail, instance, ...extensions } = body;
    this.status = status;
    this.type = type;
    this.code = type.startsWith(PROBLEM_TYPE_PREFIX) ? type.slice(PROBLEM_TYPE_PREFIX.length) : `http-${status}`;
    this.title = title;
    this.detail = detail;
    this.instance = instance;
    this.extensions = extensions;
    this.retryAfterMs = retryAfterMs;
  }

  /** The workflow's version when the service told it (412, already-exists, version-conflict, version-not-kept). */
  get currentVersion(): number | undefined {
    return numberOr(this.extensions.currentVersion);
  }
}

/** 404 `not-found`: no such workflow (or it expired). */
export class NotFoundProblem extends ProblemError {}

/** 404 `version-not-kept`: the workflow exists, that version is out of its history window. */
export class VersionNotKeptProblem extends ProblemError {
  get oldestVersion(): number | undefined {
    return numberOr(this.extensions.oldestVersion);
  }
}

/** 409 `already-exists`: create on a taken id. */
export class AlreadyExistsProblem extends ProblemError {}

/** 409 `version-conflict`: an unconditional patch lost too many races in a row. */
export class VersionConflictProblem extends ProblemError {}

/** 412 `precondition-failed`: If-Match / If-None-Match not satisfied (`currentVersion` when the workflow exists). */
export class PreconditionFailedProblem extends ProblemError {}

/** 409 `lease-held`: a live lease and no (or the wrong kind of) token: `owner` and `expiresAt` say whose. */
export class LeaseHeldProblem extends ProblemError {
  get owner(): string | undefined {
    return typeof this.extensions.owner === 'string' ? this.extensions.owner : undefined;
  }
  get expiresAt(): string | undefined {
    return typeof this.extensions.expiresAt === 'string' ? this.extensions.expiresAt : undefined;
  }
}

/** 409 `lease-lost`: the token is not the live lease's (expired, released, taken over): stop working. */
export class LeaseLostProblem extends ProblemError {}

/** 400 `invalid-input` / `invalid-json`; `errors` lists the fields when the service names them. */
export class InvalidInputProblem extends ProblemError {
  get errors(): { path: string; message: string }[] {
    return Array.isArray(this.extensions.errors) ? (this.extensions.errors as { path: string; message: string }[]) : [];
  }
}

/** 422 `idempotency-key-reused`: the key was used for another request; nothing was written. */
export class IdempotencyKeyReusedProblem extends ProblemError {}

/** 429 `rate-limited`. */
export class RateLimitedProblem extends ProblemError {}

/** 503 `store-unavailable`, `outcome-unknown`, `shutting-down`: retried by the client; thrown once attempts run out. */
export class UnavailableProblem extends ProblemError {}

const CLASSES: Record<string, new (body: ProblemBody, retryAfterMs?: number) => ProblemError> = {
  'not-found': NotFoundProblem,
  'version-not-kept': VersionNotKeptProblem,
  'already-exists': AlreadyExistsProblem,
  'version-conflict': VersionConflictProblem,
  'precondition-failed': PreconditionFailedProblem,
  'lease-held': LeaseHeldProblem,
  'lease-lost': LeaseLostProblem,
  'invalid-input': InvalidInputProblem,
  'invalid-json': InvalidInputProblem,
  'idempotency-key-reused': IdempotencyKeyReusedProblem,
  'rate-limited': RateLimitedProblem,
  'store-unavailable': UnavailableProblem,
  'outcome-unknown': UnavailableProblem,
  'shutting-down': UnavailableProblem,
};

/** The right subclass for a body. */
export function problemFrom(body: ProblemBody, retryAfterMs?: number): ProblemError {
  const code = body.type.startsWith(PROBLEM_TYPE_PREFIX) ? body.type.slice(PROBLEM_TYPE_PREFIX.length) : '';
  const Class = CLASSES[code] ?? ProblemError;
  return new Class(body, retryAfterMs);
}

/** Reads an error answer: problem+json when it is one, otherwise a generic problem carrying the text. */
export async function readProblem(response: Response, retryAfterMs?: number): Promise<ProblemError> {
  const text = await response.text().catch(() => '');
  const parsed = parseJsonObject(text);
  if (parsed && typeof parsed.type === 'string' && typeof parsed.status === 'number') {
    return problemFrom({ title: '', detail: '', ...parsed } as ProblemBody, retryAfterMs);
  }
  const detail = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return problemFrom({ type: 'about:blank', title: response.statusText || `HTTP ${response.status}`, status: response.status, detail }, retryAfterMs);
}

/** A request that got no answer: every attempt failed to connect, was cut off or timed out. */
export class WorkflowClientNetworkError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly attempts: number,
    readonly timedOut: boolean,
    cause: unknown,
  ) {
    super(`${method} ${url}: no answer after ${attempts} attempt(s)${timedOut ? ' (timed out)' : ''}: ${String((cause as Error | undefined)?.message ?? cause)}`, { cause });
    this.name = 'WorkflowClientNetworkError';
  }
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function numberOr(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
