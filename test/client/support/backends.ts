import { ApiProcess } from '../../support/api-process.js';
import { randomPrefix } from '../../support/random-ids.js';
import { RedisServer } from '../../support/redis-server.js';

/** A running API (one or more replicas) and, for Redis, its server: started together, stopped together. */
export interface Deployment {
  apis: ApiProcess[];
  redis?: RedisServer;
  stop(): Promise<void>;
}

export interface Backend {
  name: 'memory' | 'redis';
  start(env?: Record<string, string>, replicas?: number): Promise<Deployment>;
}

async function stopAll(apis: ApiProcess[], redis: RedisServer | undefined): Promise<void> {
  await Promise.all(apis.map((api) => api.stop('SIGKILL')));
  await redis?.stop();
}

export const memoryBackend: Backend = {
  name: 'memory',
  async start(env = {}, replicas = 1) {
    const apis = await ApiProcess.startMany(replicas, env);
    return { apis, stop: () => stopAll(apis, undefined) };
  },
};

export const redisBackend: Backend = {
  name: 'redis',
  async start(env = {}, replicas = 1) {
    const redis = await RedisServer.start();
    try {
      const apis = await ApiProcess.startMany(replicas, { USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: randomPrefix(), ...env });
      return { apis, redis, stop: () => stopAll(apis, redis) };
    } catch (error) {
      await redis.stop();
      throw error;
    }
  },
};

export const BACKENDS: Backend[] = [memoryBackend, redisBackend];
