import { afterAll, beforeAll } from '@jest/globals';
import { deltaChannelHistoryTests, validate } from '@langchain/langgraph-checkpoint-validation';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { allowSoftExpect, checkpointerInitializer } from './checkpoint-initializer.js';

// LangGraph's own conformance suite for checkpointers, and its opt-in delta-channel tests, on a real redis-server.
let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});

allowSoftExpect();
const initializer = checkpointerInitializer('WorkflowCheckpointSaver (redis)', () => ({
  USE_REDIS: 'true',
  REDIS_URL: server.url,
  REDIS_KEY_PREFIX: randomPrefix(),
  REDIS_COMMAND_TIMEOUT_MS: '5000',
}));
validate(initializer);
deltaChannelHistoryTests(initializer);
