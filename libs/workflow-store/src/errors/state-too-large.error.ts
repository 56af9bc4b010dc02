import { WorkflowStoreError } from './workflow-store.error.js';

/** The serialised state is larger than `WORKFLOW_MAX_STATE_BYTES`. Nothing was written. */
export class StateTooLargeError extends WorkflowStoreError {
  constructor(
    readonly sizeBytes: number,
    readonly maxBytes: number,
  ) {
    super('state-too-large', `state is ${sizeBytes} bytes as JSON; the limit is ${maxBytes}`);
  }
}
