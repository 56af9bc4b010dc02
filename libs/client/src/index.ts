/** A typed client of the workflow-store HTTP API: Node ≥ 20 and browsers, no dependencies (see README.md). */
export { WorkflowClient } from './workflow-client.js';
export type {
  CallOptions,
  ConditionalReadOptions,
  ConditionalWriteOptions,
  NotModified,
  PutOptions,
  ReleaseLeaseOptions,
  TouchOptions,
  WorkflowClientOptions,
  WriteOptions,
} from './workflow-client.js';
export {
  AlreadyExistsProblem,
  IdempotencyKeyReusedProblem,
  InvalidInputProblem,
  LeaseHeldProblem,
  LeaseLostProblem,
  NotFoundProblem,
  PreconditionFailedProblem,
  PROBLEM_TYPE_PREFIX,
  ProblemError,
  RateLimitedProblem,
  UnavailableProblem,
  VersionConflictProblem,
  VersionNotKeptProblem,
  WorkflowClientNetworkError,
  problemFrom,
} from './errors.js';
export type { ProblemCode } from './errors.js';
export { CLIENT_OPERATIONS, EXCLUDED_OPERATIONS } from './operations.js';
export type { ClientOperation } from './operations.js';
export { DEFAULT_RETRY } from './retry.js';
export type { RetryOptions } from './retry.js';
export { SseParser } from './sse-parser.js';
export type { SseFrame } from './sse-parser.js';
export { WatchStream } from './watch.js';
export type { WatchOptions } from './watch.js';
export type { Updater, UpdateOptions } from './update-loop.js';
export type { LeaseWork, WithLeaseOptions } from './lease-runner.js';
export type * from './types.js';
