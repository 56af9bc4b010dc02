import { InvalidInputError, type WorkflowStore } from '#workflow-store';
import { ProblemException } from '../problem/problem.exception.js';
import type { WatchFilter, WatchMessage } from './watch-types.js';

/** What a client asked to stream: which events, and where to resume. */
export interface EventStreamRequest {
  filter: WatchFilter;
  /** The event id to resume after; absent = live from now. */
  after?: string;
  /** Where `after` came from, to name it in a 400. */
  afterFrom?: 'Last-Event-ID' | 'after';
}

/**
 * Query string and Last-Event-ID → what to stream. `queryFilters`: the query parameters this route filters by
 * (GET /events: type and status); `fixed`: the filter the path sets (GET /workflows/:id/events: the id).
 *
 * Last-Event-ID wins over `?after=`: an EventSource reconnects with the URL it was opened with (so `?after=` is where
 * the stream first started) and the header set to the last event it received, which is the later, right point.
 * An empty Last-Event-ID counts as absent (an EventSource whose last id is empty sends none).
 */
export function eventStreamRequestFrom(
  query: Record<string, unknown>,
  lastEventId: string | string[] | undefined,
  queryFilters: readonly ('type' | 'status')[],
  fixed: WatchFilter = {},
): EventStreamRequest {
  const allowed = new Set<string>([...queryFilters, 'after']);
  const filter: WatchFilter = { ...fixed };
  let after: string | undefined;
  for (const [name, value] of Object.entries(query)) {
    if (!allowed.has(name)) throw new ProblemException('invalid-input', `unknown query parameter ${name}; allowed: ${[...allowed].join(', ')}`);
    if (typeof value !== 'string') throw new ProblemException('invalid-input', `query parameter ${name} must be given once`);
    if (name === 'after') after = value;
    else filter[name as 'type' | 'status'] = value;
  }
  if (Array.isArray(lastEventId)) throw new ProblemException('invalid-input', 'Last-Event-ID must be given once');
  if (lastEventId !== undefined && lastEventId !== '') return { filter, after: lastEventId, afterFrom: 'Last-Event-ID' };
  return after === undefined ? { filter } : { filter, after, afterFrom: 'after' };
}

/**
 * Starts the watch: resolves once it is live. The store validates the filter and the event id; a bad event id is
 * reported under the name the client used for it.
 */
export async function openWatch(store: WorkflowStore, request: EventStreamRequest): Promise<AsyncIterableIterator<WatchMessage>> {
  try {
    return await store.watch(request.filter, request.after === undefined ? {} : { after: request.after });
  } catch (error) {
    if (error instanceof InvalidInputError && request.afterFrom && error.issues.some((issue) => issue.path === 'after')) {
      throw new ProblemException('invalid-input', `${request.afterFrom} must be an event id from this service's stream: <ms>-<seq>-<shard>`, {
        errors: error.issues.map((issue) => (issue.path === 'after' ? { ...issue, path: request.afterFrom } : issue)),
      });
    }
    throw error;
  }
}
