import type { DeliveryLog } from './delivery-log.js';
import type { SseFrame } from './sse-parser.js';
import { writeKey } from './write-pool.js';

/** What a stream of change-feed frames held besides the events of the log's writes. */
export interface FrameTally {
  /** `event: reset` frames: the replica told the client it lost events (overflow, trimmed). */
  resets: number;
  /** Frames of another event type. */
  other: number;
}

export const newTally = (): FrameTally => ({ resets: 0, other: 0 });

/**
 * The listener of client `client`: an `event: workflow` frame is matched to its write by the event's id and
 * version (`data` parsed once per event id, see DeliveryLog.slotOfEvent) and its arrival logged.
 */
export function logFeedFrames(log: DeliveryLog, client: number, tally: FrameTally): (frame: SseFrame, arrivedAt: number) => void {
  return (frame, arrivedAt) => {
    if (frame.event === 'workflow') {
      const slot = log.slotOfEvent(frame.id ?? frame.data, () => {
        const event = JSON.parse(frame.data) as { id: string; version: number };
        return writeKey(event.id, event.version);
      });
      log.arrived(client, slot, arrivedAt);
    } else if (frame.event === 'reset') tally.resets++;
    else tally.other++;
  };
}
