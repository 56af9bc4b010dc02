import { afterAll, beforeAll } from '@jest/globals';
import { RedisServer } from '../support/redis-server.js';
import { describeWorkflowEventsContract } from './workflow-events.contract.js';
import { memoryLeaseHarness, redisLeaseHarness } from './lease-harness.js';

// The reference backend first, then Redis over a private redis-server.
describeWorkflowEventsContract(memoryLeaseHarness);

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});
describeWorkflowEventsContract(redisLeaseHarness(() => server.url));
