/**
 * C1: the whole contract suite, unchanged, against a 3-master Redis Cluster (redis-server processes, created with
 * `redis-cli --cluster create`), configured by REDIS_CLUSTER_NODES alone.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { describeWorkflowStoreContract } from '../contract/workflow-store.contract.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisCluster } from '../support/redis-cluster.js';

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await RedisCluster.start({ masters: 3 });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

describeWorkflowStoreContract('redis cluster', (env = {}) =>
  cluster.openStore(randomPrefix(), { WORKFLOW_STATE_TTL: '60', REDIS_COMMAND_TIMEOUT_MS: '5000', ...env }),
);
