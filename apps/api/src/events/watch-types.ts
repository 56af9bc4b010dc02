import type { WorkflowStore } from '#workflow-store';

// The core's barrel does not export the change-feed types (events/workflow-event.ts); they are derived here from
// the public `watch` signature instead of importing a deep path, so the API keeps using the barrel only.

/** Which events a stream carries (id, type, status). */
export type WatchFilter = NonNullable<Parameters<WorkflowStore['watch']>[0]>;

type Watch = Awaited<ReturnType<WorkflowStore['watch']>>;

/** What a watch yields: an event, or a reset. */
export type WatchMessage = Watch extends AsyncIterableIterator<infer M> ? M : never;

/** One change-feed entry. */
export type WorkflowEvent = Extract<WatchMessage, { kind: 'event' }>['event'];
