import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from './send-problem.js';
import { toProblem } from './to-problem.js';

/** Every error leaves the API as `application/problem+json`; unexpected ones are logged with their stack, never sent. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problem');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.answer(error, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }

  /** The filter's answer, also for the routes Fastify hands to their controller directly (direct-routes.ts). */
  answer(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
    const { body, internal } = toProblem(error, { conditional: isConditional(request) });
    if (internal) this.logger.error({ err: error, reqId: request.id }, 'unhandled error');
    else if (body.status >= 500) this.logger.warn({ reqId: request.id, problem: body.type, cause: (error as Error).message });
    sendProblem(reply, body, request.url);
  }
}

/** A write with If-Match / If-None-Match: its failed precondition is a 412, not a 404/409. */
export function isConditional(request: FastifyRequest): boolean {
  if (request.method === 'GET' || request.method === 'HEAD') return false;
  return request.headers['if-match'] !== undefined || request.headers['if-none-match'] !== undefined;
}
