import { WorkflowStoreError } from './workflow-store.error.js';

/**
 * A snapshot or export file that cannot be used as a whole: unreadable, not this format, a newer format version,
 * or truncated. The message names the file and the line.
 */
export class InvalidFileError extends WorkflowStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid-file', message, options);
  }
}
