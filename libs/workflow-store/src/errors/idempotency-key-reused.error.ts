import { WorkflowStoreError } from './workflow-store.error.js';

/**
 * An idempotency key (operation id) already used for a different request on this workflow: another kind of write,
 * or the same kind with other content or preconditions. Nothing was written.
 */
export class IdempotencyKeyReusedError extends WorkflowStoreError {
  constructor(
    readonly id: string,
    readonly operationId: string,
  ) {
    super(
      'idempotency-key-reused',
      `idempotency key ${operationId} was already used for a different request on workflow ${id}; use a new key for a new request`,
    );
  }
}
