import { WorkflowStoreError } from './workflow-store.error.js';

/** The stored version is not the expected one. Nothing was written; `currentVersion` says what is stored. */
export class VersionConflictError extends WorkflowStoreError {
  constructor(
    readonly id: string,
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super('version-conflict', `workflow ${id} is at version ${currentVersion}, not ${expectedVersion}`);
  }
}
