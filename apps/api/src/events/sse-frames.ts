import type { WatchMessage } from './watch-types.js';

/** How long a client waits before reconnecting after the stream breaks, told once at the start (EventSource `retry`). */
export const SSE_RETRY_MS = 2000;

export const RETRY_FRAME = `retry: ${SSE_RETRY_MS}\n\n`;

/** A comment line: ignored by clients, keeps proxies from closing an idle connection. No id: it must not move the resume point. */
export const HEARTBEAT_FRAME = ': hb\n\n';

/**
 * One message as an SSE frame. An event carries its id (the client's resume point); a reset carries none, so a
 * client that reconnects right after it resumes from its last real event, not from the reset.
 * JSON.stringify escapes line breaks inside strings, so `data` is always one line.
 */
export function frameOf(message: WatchMessage): string {
  if (message.kind === 'reset') return `event: reset\ndata: ${JSON.stringify({ reason: message.reason })}\n\n`;
  // The hub hands the same event object to every watch: one frame per event, not one per client (1 000 clients
  // serialising each event was most of a replica's CPU in the fan-out bench).
  let frame = frames.get(message.event);
  if (frame === undefined) {
    frame = `id: ${message.event.eventId}\nevent: workflow\ndata: ${JSON.stringify(message.event)}\n\n`;
    frames.set(message.event, frame);
  }
  return frame;
}

const frames = new WeakMap<object, string>();
