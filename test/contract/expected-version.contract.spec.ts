import { afterAll, beforeAll } from '@jest/globals';
import { RedisServer } from '../support/redis-server.js';
import { describeExpectedVersionContract } from './expected-version.contract.js';
import { memoryLeaseHarness, redisLeaseHarness } from './lease-harness.js';

// The reference backend first, then Redis over a private redis-server.
describeExpectedVersionContract(memoryLeaseHarness);

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});
describeExpectedVersionContract(redisLeaseHarness(() => server.url));
