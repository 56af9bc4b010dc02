import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { ApiOptions } from '../config/api.config.js';
import { HttpRequestCells } from '../metrics/http-request-cells.js';
import type { MetricsRegistry } from '../metrics/metrics.registry.js';
import { ProblemException } from '../problem/problem.exception.js';
import { problem } from '../problem/problem-types.js';
import { sendProblem } from '../problem/send-problem.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js';

/**
 * Body parsing, request ids and metrics, at the Fastify level where they are cheapest. Errors raised here (parsers,
 * hooks) reach Nest's exception layer and so the global ProblemDetailsFilter: no second Fastify error handler
 * (overriding Nest's printed FSTWRN004 at every boot).
 * Only JSON and merge-patch JSON bodies are accepted (415 otherwise); `__proto__`/`constructor` keys are refused
 * by Fastify's secure JSON parser.
 */
export function configureFastify(app: NestFastifyApplication, options: ApiOptions, metrics: MetricsRegistry): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  fastify.removeAllContentTypeParsers();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  for (const type of ['application/json', 'application/merge-patch+json']) {
    fastify.addContentTypeParser(type, { parseAs: 'string', bodyLimit: options.bodyLimitBytes }, (request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8'); // parseAs 'string': always a string
      parseJson(request, text, (error, value) => {
        if (!error && nestsDeeperThan(value, MAX_JSON_DEPTH)) {
          done(new ProblemException('invalid-json', `The body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`), undefined);
          return;
        }
        done(error, value);
      });
    });
  }

  // Once the server is closing, a request arriving on a kept-alive connection is told to go elsewhere.
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    if (!closing) return done();
    void reply.header('connection', 'close');
    sendProblem(reply, problem('shutting-down', 'This instance is shutting down; retry, another instance will answer.'), request.url);
  });

  // One update: http_requests_total is read from this histogram's counts (see MetricsRegistry).
  const cells = new HttpRequestCells(metrics.httpDuration);
  fastify.addHook('onResponse', (request, reply, done) => {
    cells.of(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode).observe(reply.elapsedTime / 1000);
    done();
  });
}
