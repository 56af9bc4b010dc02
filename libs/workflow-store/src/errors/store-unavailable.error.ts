import { WorkflowStoreError } from './workflow-store.error.js';

/** The backend could not be reached, or refused the command before running it. Nothing was written; retrying is safe. */
export class StoreUnavailableError extends WorkflowStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('store-unavailable', message, options);
  }
}
