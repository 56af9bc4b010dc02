import type { WorkflowEvent } from '../../events/workflow-event.js';
import type { StoreRedisClient } from '../redis-client.types.js';
import { eventOfEntry, type StreamEntry } from './stream-events.js';

/** Entries one XREVRANGE reads: every workflow's of the shard, so a page is bounded, not one workflow's. */
const PAGE = 500;

/**
 * Up to `limit` events of workflow `id` in its shard's stream, newest first: the stream read backwards from its
 * newest entry in pages of PAGE, keeping that id's entries, until `limit` are found or the stream's start is reached.
 * At most the stream's length (about EVENTS_MAX_PER_SHARD) entries are read, in ceil(length / PAGE) round trips; no
 * page blocks the server for long (each XREVRANGE is O(PAGE)). Entries trimmed between two pages are simply not
 * found; an absent stream (no events, or all expired) answers [].
 */
export async function readWorkflowEvents(
  client: StoreRedisClient,
  key: string,
  shard: number,
  tenant: string,
  id: string,
  limit: number,
): Promise<WorkflowEvent[]> {
  const found: WorkflowEvent[] = [];
  let end = '+';
  for (;;) {
    const entries = (await client.xrevrange(key, end, '-', 'COUNT', PAGE)) as StreamEntry[];
    for (const entry of entries) {
      const positioned = eventOfEntry(entry, shard, tenant);
      if (positioned?.event.id !== id) continue;
      found.push(positioned.event);
      if (found.length === limit) return found;
    }
    const last = entries[entries.length - 1]?.[0];
    if (entries.length < PAGE || last === undefined) return found;
    end = `(${last}`;
  }
}
