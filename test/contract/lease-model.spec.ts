import { afterAll, beforeAll } from '@jest/globals';
import { RedisServer } from '../support/redis-server.js';
import { memoryLeaseHarness, redisLeaseHarness } from './lease-harness.js';
import { describeLeaseModel } from './lease-model.js';

// The reference backend first, then Redis over a private redis-server (4 shards: the three ids spread over some).
describeLeaseModel(memoryLeaseHarness, { runs: 50 });

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});
describeLeaseModel(redisLeaseHarness(() => server.url, { REDIS_SHARDS: '4' }), { runs: 40 });
