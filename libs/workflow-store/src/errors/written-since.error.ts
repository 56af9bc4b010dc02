import { WorkflowStoreError } from './workflow-store.error.js';

/**
 * Internal, never thrown to callers: a write that named a version together with the write that made it (a state
 * the store had cached) found that version made by another write — another life of the id (deleted and created
 * again, whose versions start again) or a restore. Nothing was written; the store reads the workflow and retries.
 */
export class WrittenSinceError extends WorkflowStoreError {
  constructor(
    readonly id: string,
    readonly version: number,
  ) {
    super('internal', `workflow ${id} is at version ${version}, but not as the cached state had it (another life of the id)`);
  }
}
