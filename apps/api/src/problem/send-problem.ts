import type { FastifyReply } from 'fastify';
import type { ProblemBody } from './problem-types.js';

/** How much of the request URL a problem repeats as its `instance`: enough to recognise it, not a whole hostile URL. */
const MAX_INSTANCE_LENGTH = 200;

/** Writes a problem response; 503s tell the client when to retry. */
export function sendProblem(reply: FastifyReply, body: ProblemBody, instance: string): void {
  if (body.status === 503) reply.header('retry-after', '1');
  const shown = instance.length > MAX_INSTANCE_LENGTH ? `${instance.slice(0, MAX_INSTANCE_LENGTH)}…` : instance;
  void reply
    .status(body.status)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send(JSON.stringify({ ...body, instance: shown }));
}
