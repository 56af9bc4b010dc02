import { afterAll, beforeAll } from '@jest/globals';
import { createWorkflowStore, loadWorkflowStoreConfig } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { describeWorkflowStoreContract } from './workflow-store.contract.js';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});

// A private redis-server for this file, and a key prefix of its own for every store the suite makes. The command
// timeout is 5 s: this suite checks what a write does, not how fast (the fault suites bound that), and with the
// whole run in one process a GC pause of a second lets a timer fire before a reply already received is read.
describeWorkflowStoreContract('redis', async (env = {}) => {
  const base = { USE_REDIS: 'true', REDIS_URL: server.url, REDIS_KEY_PREFIX: randomPrefix(), WORKFLOW_STATE_TTL: '60', REDIS_COMMAND_TIMEOUT_MS: '5000' };
  const store = createWorkflowStore(loadWorkflowStoreConfig({ ...base, ...env }), quietLogger());
  await store.connect();
  return store;
});
