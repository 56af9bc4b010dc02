/** Stable machine-readable codes; the HTTP layer maps them to problem types. */
export type WorkflowStoreErrorCode =
  | 'already-exists'
  | 'not-found'
  | 'version-conflict'
  | 'invalid-input'
  | 'state-too-large'
  | 'store-unavailable'
  | 'outcome-unknown'
  | 'storage-full'
  | 'invalid-config'
  | 'invalid-file'
  | 'idempotency-key-reused'
  | 'storage-format'
  | 'version-not-kept'
  | 'events-disabled'
  | 'lease-held'
  | 'lease-lost'
  | 'internal';

/** Base class of every error the store throws on purpose. */
export class WorkflowStoreError extends Error {
  constructor(
    readonly code: WorkflowStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
