import { afterAll, beforeAll } from '@jest/globals';
import { RedisServer } from '../support/redis-server.js';
import { describeLeaseContract } from './lease.contract.js';
import { memoryLeaseHarness, redisLeaseHarness } from './lease-harness.js';

// The reference backend runs the suite first: if it fails there, the suite or the core is wrong, not Redis.
describeLeaseContract(memoryLeaseHarness);

// Then Redis: a private redis-server for this file, a key prefix of its own for every store.
let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});
describeLeaseContract(redisLeaseHarness(() => server.url));
