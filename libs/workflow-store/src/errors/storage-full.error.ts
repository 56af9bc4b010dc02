import { WorkflowStoreError } from './workflow-store.error.js';

/** The backend is out of memory (Redis `maxmemory` with `noeviction`). Nothing was written; reads and deletes still work. */
export class StorageFullError extends WorkflowStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('storage-full', message, options);
  }
}
