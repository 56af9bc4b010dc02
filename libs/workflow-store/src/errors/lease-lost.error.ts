import { WorkflowStoreError } from './workflow-store.error.js';

/**
 * The lease token given is not that of the workflow's live lease: it expired, was released, or another holder
 * acquired the workflow since (fencing). Nothing was written; the holder must stop working on the workflow.
 */
export class LeaseLostError extends WorkflowStoreError {
  constructor(
    readonly id: string,
    readonly token: number,
    /**
     * The last token issued for the workflow (0 when it has none), for diagnostics only: writing with it would defeat
     * the fencing (the HTTP API never tells it).
     */
    readonly latestToken: number,
  ) {
    super('lease-lost', `lease token ${token} of workflow ${id} is no longer current (latest ${latestToken}): the lease expired, was released or taken over`);
  }
}
