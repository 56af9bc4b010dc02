import { WorkflowStoreError } from './workflow-store.error.js';

/** Configuration rejected at boot; the message names each variable and what is allowed. */
export class InvalidConfigError extends WorkflowStoreError {
  constructor(readonly problems: string[]) {
    super('invalid-config', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}
