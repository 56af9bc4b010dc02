import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiModule } from './api.module.js';
import type { Environment } from './config/environment.js';
import { registerAuth } from './auth/register-auth.js';
import { configureFastify } from './http/configure-fastify.js';
import { sendProblem } from './problem/send-problem.js';
import { toProblem } from './problem/to-problem.js';
import { registerRateLimit } from './http/register-rate-limit.js';
import { ShutdownState } from './health/shutdown-state.js';
import { MetricsRegistry } from './metrics/metrics.registry.js';
import { setupOpenApi } from './openapi/setup-openapi.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** A caller's X-Request-Id is kept when it is safe to log; otherwise a new one is made. */
function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** LOG_LEVEL (pino names) as Nest's list of enabled levels. */
function nestLogLevels(level: string): LogLevel[] {
  const order: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
  const index = { silent: -1, fatal: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 }[level] ?? 3;
  return order.slice(0, index + 1);
}

async function bootstrap(): Promise<void> {
  const logLevel = process.env.LOG_LEVEL ?? 'info';
  const adapter = new FastifyAdapter({
    logger: { level: logLevel, redact: ['req.headers.authorization', 'req.headers.cookie'] },
    genReqId: requestId,
    return503OnClosing: false, // answered as problem+json instead (configure-fastify.ts)
    // Errors Fastify meets before routing (a URL that does not decode, e.g. /workflows/%) get problem+json too.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => sendProblem(reply, toProblem(error, { conditional: false }).body, request.url),
  });
  const logger = new ConsoleLogger({ json: true, logLevels: nestLogLevels(logLevel) });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule, adapter, { logger, abortOnError: false, bodyParser: false } /* our own parsers: configure-fastify.ts */);
  const config = app.get(ConfigService<Environment, true>);
  const api = config.get('api', { infer: true });
  configureFastify(app, api, app.get(MetricsRegistry));
  if (api.auth.mode === 'open') {
    logger.warn(
      `running WITHOUT authentication (${api.auth.reason}): every request is tenant "default" with the admin role; set API_KEYS or API_KEYS_FILE`,
      'Auth',
    );
  }
  registerAuth(app.getHttpAdapter().getInstance(), api.auth, (message) => logger.warn(message, 'Auth'));
  await registerRateLimit(app, api, config.get('workflowStore', { infer: true }));
  setupOpenApi(app);

  // Our own signal handling (not enableShutdownHooks, which re-raises the signal): drain, close, exit 0.
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    app.get(ShutdownState).shuttingDown = true;
    logger.log(`${signal} received: draining in-flight requests, then closing the store`, 'Lifecycle');
    setTimeout(() => {
      logger.error(`shutdown took longer than SHUTDOWN_TIMEOUT_MS=${api.shutdownTimeoutMs}; exiting`, undefined, 'Lifecycle');
      process.exit(1);
    }, api.shutdownTimeoutMs).unref();
    // Keep-alive connections busy at close time turn idle afterwards; close them as they do so the drain ends.
    const server = app.getHttpServer() as import('node:http').Server;
    setInterval(() => server.closeIdleConnections(), 100).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${(error as Error).message}`, undefined, 'Lifecycle');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  // init() runs the store's onModuleInit: Redis is connected and checked before the port opens.
  await app.listen({ port: api.port, host: api.host });
  logger.log(`listening on ${await app.getUrl()}`, 'Lifecycle');
}

bootstrap().catch((error: unknown) => {
  // Boot failures (bad variable, Redis unreachable) end the process with the real cause, never a fallback.
  // The same shape as every other line Nest logs here (level, pid, timestamp), so log pipelines can read it too.
  const line = { level: 'fatal', pid: process.pid, timestamp: Date.now(), message: `workflow-store API failed to start: ${(error as Error).message}` };
  console.error(JSON.stringify(line));
  process.exit(1);
});
