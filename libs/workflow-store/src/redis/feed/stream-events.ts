import { formatEventId, positionOfStreamId } from '../../events/event-id.js';
import type { PositionedEvent } from '../../events/feed-source.js';
import type { WorkflowEventOp } from '../../events/workflow-event.js';
import { isoTime } from '../iso-time.js';

const OPS: Record<string, WorkflowEventOp> = {
  C: 'created',
  U: 'updated',
  D: 'deleted',
  T: 'touched',
  R: 'restored',
  X: 'expired',
  A: 'lease-acquired',
  F: 'lease-released',
  E: 'lease-expired',
};
const SEP = '\u0000';

/** A stream entry as XRANGE answers it: its id and its field/value list. */
export type StreamEntry = [id: string, fields: string[]];

/**
 * The event a shard stream entry records (field `d` = "op\0id\0version\0type\0status", see lua/includes/common.lua);
 * undefined for an entry of a kind this version does not know (written by a newer one), which is skipped.
 */
export function eventOfEntry(entry: StreamEntry, shard: number, tenant: string): PositionedEvent | undefined {
  const [streamId, fields] = entry;
  const data = fields[fields.indexOf('d') + 1] ?? '';
  const [code = '', id = '', version = '0', type = '', status = '', token, owner] = data.split(SEP);
  const op = OPS[code];
  if (!op) return undefined;
  const position = positionOfStreamId(streamId, shard);
  return {
    position,
    event: {
      eventId: formatEventId(position),
      id,
      op,
      version: Number(version),
      type,
      status,
      at: isoTime(position.ms),
      tenant,
      ...(token === undefined ? {} : { lease: { token: Number(token), owner: owner ?? '' } }),
    },
  };
}
