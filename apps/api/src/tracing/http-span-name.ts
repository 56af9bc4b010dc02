import { trace } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Fastify `onRequest` hook (registered when tracing is on): names the request's HTTP server span after its route,
 * `GET /workflows/:id` rather than `GET`, and sets `http.route`. The HTTP instrumentation alone knows only the method.
 */
export function nameHttpSpan(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  const route = request.routeOptions.url;
  const span = trace.getActiveSpan();
  if (span !== undefined && route !== undefined) {
    span.setAttribute('http.route', route);
    span.updateName(`${request.method} ${route}`);
  }
  done();
}
