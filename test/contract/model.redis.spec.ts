import { afterAll, beforeAll } from '@jest/globals';
import { createWorkflowStore, loadWorkflowStoreConfig } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { describeModelSuite, type MakeModelStore } from './model.js';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});

/** A store on this file's private redis-server with a key prefix of its own (a shard count is bound to a prefix). */
function storeWith(shards: Record<string, string>): MakeModelStore {
  return async (env = {}) => {
    const base = { USE_REDIS: 'true', REDIS_URL: server.url, REDIS_KEY_PREFIX: randomPrefix(), REDIS_COMMAND_TIMEOUT_MS: '5000' };
    const store = createWorkflowStore(loadWorkflowStoreConfig({ ...base, ...shards, ...env }), quietLogger());
    await store.connect();
    return store;
  };
}

// 4 shards: walks cross shards on nearly every page. 64 (the default): most shards are empty, so pages probe runs of them.
describeModelSuite('redis, REDIS_SHARDS=4', storeWith({ REDIS_SHARDS: '4' }), { runs: 200 });
describeModelSuite('redis, REDIS_SHARDS default (64)', storeWith({}), { runs: 200 });
