import { afterAll, beforeAll } from '@jest/globals';
import { createWorkflowStore, loadWorkflowStoreConfig, type ValidatingWorkflowStore } from '#workflow-store';
import type { RedisStorageBackend } from '../../libs/workflow-store/src/redis/redis-storage.backend.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { describeFeedModelSuite } from './feed-model.js';
import type { FeedHarness, FeedStore } from './feed-support.js';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});

const configs = new WeakMap<FeedStore, Record<string, string>>();

async function open(env: Record<string, string>): Promise<FeedStore> {
  const store = createWorkflowStore(loadWorkflowStoreConfig(env), quietLogger());
  await store.connect();
  configs.set(store, env);
  return store;
}

// A private redis-server, a prefix per store (a second instance for cold resumes shares it), no periodic sweep.
const harness: FeedHarness = {
  makeStore(env = {}) {
    return open({ USE_REDIS: 'true', REDIS_URL: server.url, REDIS_KEY_PREFIX: randomPrefix(), REDIS_COMMAND_TIMEOUT_MS: '5000', REDIS_PURGE_INTERVAL_MS: '0', ...env });
  },
  async observeExpiries(store) {
    await ((store as ValidatingWorkflowStore).backend as RedisStorageBackend).purgeExpired();
  },
  reopen(store) {
    const env = configs.get(store);
    if (!env) throw new Error('reopen: not a store of this harness');
    return open(env);
  },
};

// 4 shards: five ids spread over several shard streams, so the feed's order across shards is exercised.
describeFeedModelSuite('redis, REDIS_SHARDS=4, WORKFLOW_HISTORY_VERSIONS=2', harness, { runs: 150, historyVersions: 2, env: { REDIS_SHARDS: '4' } });
// The default 64 shards (each id in a stream of its own, mostly), a bound the longer runs reach.
describeFeedModelSuite('redis, REDIS_SHARDS default (64), WORKFLOW_HISTORY_VERSIONS=3', harness, { runs: 60, historyVersions: 3, maxCommands: 40 });
