import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Environment } from './config/environment.js';
import { createLogger } from './logging/create-logger.js';
import { PinoNestLogger } from './logging/pino-nest-logger.js';
import { nameHttpSpan } from './tracing/http-span-name.js';
import { startTracing, type Tracing } from './tracing/start-tracing.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** A caller's X-Request-Id is kept when it is safe to log; otherwise a new one is made. */
function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * The app's modules, loaded only after tracing has started: its HTTP instrumentation patches `node:http` when Fastify
 * requires it, so nothing that loads Fastify may be imported statically here (the imports above are types only, or
 * modules that load neither Fastify nor the OpenTelemetry SDK).
 */
async function loadApp() {
  const [core, config, platform, apiModule, auth, http, sendProblem, toProblem, rateLimit, health, metrics, openApi, board, tenantStores, eventStreams, direct, workflowDirect, workflows, filter] = await Promise.all([
    import('@nestjs/core'),
    import('@nestjs/config'),
    import('@nestjs/platform-fastify'),
    import('./api.module.js'),
    import('./auth/register-auth.js'),
    import('./http/configure-fastify.js'),
    import('./problem/send-problem.js'),
    import('./problem/to-problem.js'),
    import('./http/register-rate-limit.js'),
    import('./health/shutdown-state.js'),
    import('./metrics/metrics.registry.js'),
    import('./openapi/setup-openapi.js'),
    import('./board/register-board.js'),
    import('./auth/tenant-stores.js'),
    import('./events/event-streams.js'),
    import('./http/direct-routes.js'),
    import('./workflows/workflow-direct-routes.js'),
    import('./workflows/workflows.controller.js'),
    import('./problem/problem-details.filter.js'),
  ]);
  return {
    NestFactory: core.NestFactory,
    ConfigService: config.ConfigService,
    FastifyAdapter: platform.FastifyAdapter,
    ApiModule: apiModule.ApiModule,
    registerAuth: auth.registerAuth,
    configureFastify: http.configureFastify,
    sendProblem: sendProblem.sendProblem,
    toProblem: toProblem.toProblem,
    registerRateLimit: rateLimit.registerRateLimit,
    ShutdownState: health.ShutdownState,
    MetricsRegistry: metrics.MetricsRegistry,
    setupOpenApi: openApi.setupOpenApi,
    registerBoard: board.registerBoard,
    TenantStores: tenantStores.TenantStores,
    EventStreams: eventStreams.EventStreams,
    routeDirectly: direct.routeDirectly,
    workflowDirectRoutes: workflowDirect.workflowDirectRoutes,
    WorkflowsController: workflows.WorkflowsController,
    ProblemDetailsFilter: filter.ProblemDetailsFilter,
  };
}

async function bootstrap(log: Logger): Promise<void> {
  const tracing = await startTracing(log);
  const { NestFactory, ConfigService, FastifyAdapter, ApiModule, ...m } = await loadApp();
  const adapter = new FastifyAdapter({
    // Fastify logs requests through the same pino logger as Nest's lines (reqId from X-Request-Id).
    loggerInstance: log,
    genReqId: requestId,
    return503OnClosing: false, // answered as problem+json instead (configure-fastify.ts)
    // Errors Fastify meets before routing (a URL that does not decode, e.g. /workflows/%) get problem+json too.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => m.sendProblem(reply, m.toProblem(error, { conditional: false }).body, request.url),
  });
  if (tracing.enabled) adapter.getInstance().addHook('onRequest', nameHttpSpan);
  const logger = new PinoNestLogger(log);
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule, adapter, { logger, abortOnError: false, bodyParser: false } /* our own parsers: configure-fastify.ts */);
  const config = app.get(ConfigService<Environment, true>);
  const api = config.get('api', { infer: true });
  m.configureFastify(app, api, app.get(m.MetricsRegistry));
  // Before listen(): Nest registers its routes then, and the hot ones get their direct handler as it does.
  m.routeDirectly(app.getHttpAdapter().getInstance(), m.workflowDirectRoutes(app.get(m.WorkflowsController)), new m.ProblemDetailsFilter());
  if (api.auth.mode === 'open') {
    logger.warn(
      `running WITHOUT authentication (${api.auth.reason}): every request is tenant "default" with the admin role; set API_KEYS or API_KEYS_FILE`,
      'Auth',
    );
  }
  const registry = m.registerAuth(app.getHttpAdapter().getInstance(), api.auth, (message) => logger.warn(message, 'Auth'));
  const storeOptions = config.get('workflowStore', { infer: true });
  await m.registerRateLimit(app, api, storeOptions);
  m.setupOpenApi(app);
  if (api.board.enabled) {
    await m.registerBoard(app.getHttpAdapter().getInstance(), {
      options: api.board,
      registry,
      stores: app.get(m.TenantStores),
      streams: app.get(m.EventStreams),
      eventsEnabled: storeOptions.limits.eventsRetentionSeconds > 0,
      warn: (message) => logger.warn(message, 'Board'),
    });
  }

  // Our own signal handling (not enableShutdownHooks, which re-raises the signal): drain, close, flush spans, exit 0.
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    app.get(m.ShutdownState).shuttingDown = true;
    logger.log(`${signal} received: draining in-flight requests, then closing the store`, 'Lifecycle');
    setTimeout(() => {
      logger.error(`shutdown took longer than SHUTDOWN_TIMEOUT_MS=${api.shutdownTimeoutMs}; exiting`, undefined, 'Lifecycle');
      process.exit(1);
    }, api.shutdownTimeoutMs).unref();
    // Keep-alive connections busy at close time turn idle afterwards; close them as they do so the drain ends.
    const server = app.getHttpServer() as import('node:http').Server;
    setInterval(() => server.closeIdleConnections(), 100).unref();
    closeAll(app, tracing).then(
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

/** Closes the app (drain, then the store), then exports the spans still buffered. */
async function closeAll(app: { close(): Promise<void> }, tracing: Tracing): Promise<void> {
  await app.close();
  await tracing.shutdown();
}

const log = createLogger();
bootstrap(log).catch((error: unknown) => {
  // Boot failures (bad variable, Redis unreachable) end the process with the real cause, never a fallback. A pino line
  // like every other (level 60, time, pid), written synchronously before the exit; even at LOG_LEVEL=silent.
  (log.isLevelEnabled('fatal') ? log : createLogger('fatal')).fatal(`workflow-store API failed to start: ${(error as Error).message}`);
  process.exit(1);
});
