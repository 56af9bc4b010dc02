import { WorkflowStoreError } from './workflow-store.error.js';

/**
 * The data in Redis is not in the format this store is configured for (another shard count, format v1, an
 * unfinished upgrade). Nothing was written; the message says what was found and what to do.
 */
export class StorageFormatError extends WorkflowStoreError {
  constructor(message: string) {
    super('storage-format', message);
  }
}
