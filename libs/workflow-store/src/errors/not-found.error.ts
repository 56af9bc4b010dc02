import { WorkflowStoreError } from './workflow-store.error.js';

/** The workflow does not exist, or has expired. Nothing was written. */
export class NotFoundError extends WorkflowStoreError {
  constructor(
    readonly id: string,
    detail?: string,
  ) {
    super('not-found', detail ?? `workflow ${id} does not exist or has expired`);
  }
}
