import rateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createStoreClient, type WorkflowStoreOptions } from '#workflow-store';
import type { ApiOptions } from '../config/api.config.js';
import { isPublicPath } from '../auth/route-access.js';
import { ProblemException } from '../problem/problem.exception.js';

/**
 * A healthy Redis answers the counter in well under a millisecond; waiting longer would add to the answer time of
 * every request during an outage, so the limiter gives up after this and lets the request through.
 */
const LIMITER_COMMAND_TIMEOUT_MS = 100;

/**
 * RATE_LIMIT_PER_MINUTE per API key, counted in Redis when the store uses Redis, so all replicas share one count
 * (memory backend: per process). Runs after authentication, so the key is known; off without keys (no key to
 * count by) or at 0. When Redis cannot answer the limiter lets requests through: the store then answers 503.
 */
export async function registerRateLimit(app: NestFastifyApplication, api: ApiOptions, store: WorkflowStoreOptions): Promise<void> {
  if (api.auth.mode === 'open' || api.rateLimitPerMinute === 0) return;
  const redis = store.backend === 'redis' ? createStoreClient({ ...store.redis, commandTimeoutMs: LIMITER_COMMAND_TIMEOUT_MS }) : undefined;
  if (redis) {
    redis.on('error', () => undefined); // the store's own connection reports Redis outages
    // Ready before the port opens, so the first requests are counted; if Redis is down the store's boot fails anyway.
    await redis.connect().catch(() => undefined);
    app.getHttpAdapter().getInstance().addHook('onClose', async () => {
      redis.disconnect();
    });
  }
  await app.register(rateLimit, {
    max: api.rateLimitPerMinute,
    timeWindow: 60_000,
    hook: 'onRequest',
    keyGenerator: (request) => request.principal?.keyId ?? request.ip,
    // The board's scripts and stylesheet are not counted: a page load is not a use of the API.
    allowList: (request) => isPublicPath(request.url) || request.url.startsWith('/board/assets/'),
    ...(redis ? { redis, nameSpace: `${store.redis.keyPrefix}:ratelimit:` } : {}),
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new ProblemException('rate-limited', `More than ${context.max} requests a minute with this API key; retry in ${context.after}`),
  });
}
