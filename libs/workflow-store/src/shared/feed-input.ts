import { z } from 'zod';
import { InvalidInputError } from '../errors/invalid-input.error.js';
import { parseEventId, type EventPosition } from '../events/event-id.js';
import type { WatchFilter } from '../events/workflow-event.js';
import { labelSchema, versionSchema, workflowIdSchema } from '../workflow.schema.js';
import { validate } from './validate.js';

/** How many events `events` answers by default, and at most. */
export const DEFAULT_EVENTS_LIMIT = 100;
export const MAX_EVENTS_LIMIT = 1000;

/** Options of `events` (one workflow's events). */
export const eventsOptionsSchema = z.strictObject({ limit: z.number().int().min(1).max(MAX_EVENTS_LIMIT).optional() });

const watchFilterSchema = z.strictObject({ id: workflowIdSchema.optional(), type: labelSchema.optional(), status: labelSchema.optional() });

/** A watch's filter, validated (unknown fields refused). */
export function watchFilterOf(filter: WatchFilter): WatchFilter {
  const data = validate(watchFilterSchema, filter, 'filter');
  return {
    ...(data.id === undefined ? {} : { id: data.id }),
    ...(data.type === undefined ? {} : { type: data.type }),
    ...(data.status === undefined ? {} : { status: data.status }),
  };
}

/** The position an `after` event id names; `InvalidInputError` when it is not an event id of this store's shape. */
export function positionOfAfter(after: string | undefined): EventPosition | undefined {
  if (after === undefined) return undefined;
  const position = typeof after === 'string' ? parseEventId(after) : undefined;
  if (!position) throw new InvalidInputError([{ path: 'after', message: 'must be an event id: <ms>-<seq>-<shard>, three decimal numbers' }]);
  return position;
}

/** A version number asked for by a caller. */
export function versionOf(version: number): number {
  return validate(versionSchema, version, 'version');
}
