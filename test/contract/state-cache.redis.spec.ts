import { afterAll, beforeAll } from '@jest/globals';
import { createWorkflowStore, loadWorkflowStoreConfig } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { describeStateCacheContract } from './state-cache.contract.js';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});

// Two "replicas": two stores, each with its own connection and state cache, on one key prefix of this file's
// private redis-server. Command timeout 5 s as in the other contract suites (they check what a write does).
describeStateCacheContract(
  'redis',
  async () => {
    const env = { USE_REDIS: 'true', REDIS_URL: server.url, REDIS_KEY_PREFIX: randomPrefix(), REDIS_COMMAND_TIMEOUT_MS: '5000' };
    const [a, b] = [createWorkflowStore(loadWorkflowStoreConfig(env), quietLogger()), createWorkflowStore(loadWorkflowStoreConfig(env), quietLogger())];
    await a.connect();
    await b.connect();
    return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
  },
  { runs: 150 },
);
