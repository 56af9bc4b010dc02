import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiProduces, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { DRAIN_TIMEOUT_MS, MAX_BUFFERED_BYTES } from '../events/event-streams.js';
import { SSE_RETRY_MS } from '../events/sse-frames.js';
import { ApiProblems, READ_PROBLEMS } from './problem-responses.js';

const FRAMES =
  'A text/event-stream (Server-Sent Events), written as the events happen, never buffered. It opens with ' +
  `\`retry: ${SSE_RETRY_MS}\` (the reconnection delay), then one frame per event:\n\n` +
  '```\nid: <eventId>\nevent: workflow\ndata: <the event as JSON, one line>\n\n```\n' +
  'A frame `event: reset` with `data: {"reason":"trimmed"|"unknown"|"overflow"|"gap"}` and no id says events before it ' +
  'could not be delivered (the resume point is older than EVENTS_RETENTION_SECONDS or the EVENTS_MAX_PER_SHARD cap ' +
  'kept; the id is not from this store; 10 000 events were waiting for the client when more arrived): reload the state you ' +
  'follow; live events continue after it. Comment lines `: hb` (no id) come every SSE_HEARTBEAT_MS (15 s by ' +
  'default) to keep proxies from closing the connection. Events of one workflow come in write order. The server ' +
  'ends the stream when this instance shuts down, when the feed cannot be read, or when the client reads too ' +
  `slowly (over ${MAX_BUFFERED_BYTES / 1024} KiB unsent, or a full buffer not drained within ${DRAIN_TIMEOUT_MS / 1000} s): ` +
  'reconnect with Last-Event-ID, nothing the ' +
  'feed still holds is lost or repeated.';

/** The name the event's JSON schema is published under in the document's components (see setup-openapi.ts). */
export const WORKFLOW_EVENT_SCHEMA = 'WorkflowEvent';

const EXAMPLE =
  `retry: ${SSE_RETRY_MS}\n\n` +
  'id: 1767225600000-0-12\nevent: workflow\n' +
  'data: {"eventId":"1767225600000-0-12","id":"inv-42","op":"updated","version":3,"type":"invoice","status":"review","at":"2026-01-01T00:00:00.000Z","tenant":"default"}\n\n' +
  ': hb\n\n';

const RESUME =
  'Resume right after this event id (the `id` of the last frame received): every later event matching the stream is ' +
  'sent, none twice. Without it the stream starts live, with the next write.';

/**
 * The documentation shared by the event-stream routes: the frame format, the resume point (Last-Event-ID header or
 * `after` query; the header wins) and the problems answered before any byte of the stream.
 */
export function ApiEventStream(): MethodDecorator {
  return applyDecorators(
    ApiProduces('text/event-stream'),
    ApiHeader({
      name: 'Last-Event-ID',
      required: false,
      description: `${RESUME} Sent by EventSource on reconnection. Wins over \`after\` when both are given (it is the later point); empty counts as absent.`,
      schema: { type: 'string', pattern: '^\\d+-\\d+-\\d+$' },
    }),
    ApiQuery({ name: 'after', required: false, description: `${RESUME} For the first connection; Last-Event-ID wins when both are given.`, schema: { type: 'string' } }),
    ApiResponse({
      status: 200,
      description: FRAMES,
      content: {
        'text/event-stream': {
          schema: { type: 'string', description: `SSE frames; the data of each \`event: workflow\` frame is a ${WORKFLOW_EVENT_SCHEMA} (components/schemas)` },
          example: EXAMPLE,
        },
      },
    }),
    ApiProblems(
      [400, 'invalid-input: an unknown or repeated query parameter, a malformed filter or id, or a Last-Event-ID / after that is not an event id'],
      [501, 'events-disabled: the change feed is off on this service (EVENTS_RETENTION_SECONDS=0)'],
      ...READ_PROBLEMS,
    ),
  );
}
