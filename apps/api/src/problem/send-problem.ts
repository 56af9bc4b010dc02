import type { FastifyReply } from 'fastify';
import type { ProblemBody } from './problem-types.js';

/** Writes a problem response; 503s tell the client when to retry. */
export function sendProblem(reply: FastifyReply, body: ProblemBody, instance: string): void {
  if (body.status === 503) reply.header('retry-after', '1');
  void reply
    .status(body.status)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send(JSON.stringify({ ...body, instance }));
}
