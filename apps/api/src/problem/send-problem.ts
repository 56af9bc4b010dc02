import type { FastifyReply } from 'fastify';
import type { ProblemBody } from './problem-types.js';

/** How much of the request URL a problem repeats as its `instance`: enough to recognise it, not a whole hostile URL. */
const MAX_INSTANCE_LENGTH = 200;
/** A path segment or query part longer than any valid one (ids are at most 64 characters). */
const LONG_SEGMENT = /[^/?&=]{101,}/g;

/** Writes a problem response; 503s tell the client when to retry. */
export function sendProblem(reply: FastifyReply, body: ProblemBody, instance: string): void {
  if (body.status === 503) reply.header('retry-after', '1');
  // An over-long segment (an id of hundreds of characters) is cut, not echoed back whole.
  const cut = instance.replace(LONG_SEGMENT, (segment) => `${segment.slice(0, 16)}…`);
  const shown = cut.length > MAX_INSTANCE_LENGTH ? `${cut.slice(0, MAX_INSTANCE_LENGTH)}…` : cut;
  void reply
    .status(body.status)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send(JSON.stringify({ ...body, instance: shown }));
}
