import { WorkflowStoreError } from './workflow-store.error.js';

/** `create` on an id that is taken. Nothing was written. */
export class AlreadyExistsError extends WorkflowStoreError {
  constructor(
    readonly id: string,
    readonly currentVersion: number,
  ) {
    super('already-exists', `workflow ${id} already exists (version ${currentVersion})`);
  }
}
