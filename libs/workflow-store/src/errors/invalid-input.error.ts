import { WorkflowStoreError } from './workflow-store.error.js';

/** One problem with an input, with the path of the offending field. */
export interface InputIssue {
  path: string;
  message: string;
}

/** The input was rejected before anything was sent to the backend. Nothing was written. */
export class InvalidInputError extends WorkflowStoreError {
  constructor(readonly issues: InputIssue[]) {
    super('invalid-input', issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '));
  }
}
