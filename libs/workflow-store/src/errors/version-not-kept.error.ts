import { WorkflowStoreError } from './workflow-store.error.js';

/** The workflow exists, but the version asked for is not among those kept (older than the history, or newer than the workflow). */
export class VersionNotKeptError extends WorkflowStoreError {
  constructor(
    readonly id: string,
    readonly version: number,
    readonly currentVersion: number,
    readonly oldestVersion: number,
  ) {
    super(
      'version-not-kept',
      version > currentVersion
        ? `workflow ${id} is at version ${currentVersion}; version ${version} does not exist`
        : `version ${version} of workflow ${id} is no longer kept; the oldest kept is ${oldestVersion} (WORKFLOW_HISTORY_VERSIONS)`,
    );
  }
}
