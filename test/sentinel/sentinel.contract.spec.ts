/**
 * The whole contract suite, unchanged, against a Sentinel-managed master (1 master, 1 replica, 3 Sentinels),
 * configured by REDIS_SENTINELS + REDIS_SENTINEL_NAME alone, with REDIS_DURABILITY=replica (every write confirmed
 * by WAIT 1), so the confirmed path is what the suite exercises.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { createWorkflowStore, loadWorkflowStoreConfig } from '#workflow-store';
import { describeWorkflowStoreContract } from '../contract/workflow-store.contract.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisSentinelSetup } from '../support/redis-sentinel.js';

let setup: RedisSentinelSetup;
beforeAll(async () => {
  setup = await RedisSentinelSetup.start();
}, 60_000);
afterAll(async () => {
  await setup?.stop();
});

describeWorkflowStoreContract('redis sentinel (durability replica)', async (env = {}) => {
  const base = {
    USE_REDIS: 'true',
    REDIS_SENTINELS: setup.sentinelList,
    REDIS_SENTINEL_NAME: setup.name,
    REDIS_DURABILITY: 'replica',
    REDIS_KEY_PREFIX: randomPrefix(),
    WORKFLOW_STATE_TTL: '60',
    REDIS_COMMAND_TIMEOUT_MS: '5000',
    // The contract is not about the ack wait: 2 s (default 250 ms) so a replica stalled by a loaded machine does not
    // turn one of its thousands of writes into OutcomeUnknownError. redis-conf-replica.spec tests the wait running out.
    REDIS_REPLICA_ACK_TIMEOUT_MS: '2000',
  };
  const store = createWorkflowStore(loadWorkflowStoreConfig({ ...base, ...env }), quietLogger());
  await store.connect();
  return store;
});
