import { WorkflowStoreError } from './workflow-store.error.js';

/**
 * A write was sent but its reply was lost (timeout, dropped connection). It may have been applied, now or later.
 * Retrying with the same `operationId` is safe: it is applied at most once.
 */
export class OutcomeUnknownError extends WorkflowStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('outcome-unknown', message, options);
  }
}
