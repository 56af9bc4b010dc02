import { WorkflowStoreError } from './workflow-store.error.js';

/** The change feed is off (`EVENTS_RETENTION_SECONDS=0`): nothing records events, so nothing can be watched or read. */
export class EventsDisabledError extends WorkflowStoreError {
  constructor() {
    super('events-disabled', 'the change feed is off (EVENTS_RETENTION_SECONDS=0): no events are recorded to watch or read');
  }
}
