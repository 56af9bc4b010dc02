import { WorkflowStoreError } from './workflow-store.error.js';

/** Another holder has a live lease on the workflow (an acquisition, or a write without its token). Nothing was written. */
export class LeaseHeldError extends WorkflowStoreError {
  constructor(
    readonly id: string,
    readonly owner: string,
    readonly expiresAt: string,
  ) {
    super('lease-held', `workflow ${id} is leased by ${owner} until ${expiresAt}; a write needs its lease token`);
  }
}
