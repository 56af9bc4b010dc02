import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createWorkflowStore, loadWorkflowStoreConfig, StoreUnavailableError, WorkflowCheckpointSaver } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { describeCheckpointThreadsContract } from './checkpoint-threads.contract.js';
import { rejectsWith, uniq } from './feed-support.js';

// The suite on a private redis-server, a key prefix of its own per store.
let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});

function redisEnv(url: string, env: Record<string, string> = {}): Record<string, string> {
  return { USE_REDIS: 'true', REDIS_URL: url, REDIS_KEY_PREFIX: randomPrefix(), REDIS_COMMAND_TIMEOUT_MS: '5000', LEASE_SWEEP_INTERVAL_MS: '0', ...env };
}

describeCheckpointThreadsContract({
  name: 'redis',
  async makeStore(env = {}) {
    const store = createWorkflowStore(loadWorkflowStoreConfig(redisEnv(server.url, env)), quietLogger());
    await store.connect();
    return store;
  },
});

describe('LangGraph threads as workflows: redis down', () => {
  it('a put while Redis is down rejects fast with StoreUnavailableError instead of hanging', async () => {
    // A server of its own, stopped mid-test.
    const doomed = await RedisServer.start();
    const store = createWorkflowStore(loadWorkflowStoreConfig(redisEnv(doomed.url, { REDIS_COMMAND_TIMEOUT_MS: '2000', REDIS_CONNECT_TIMEOUT_MS: '1000' })), quietLogger());
    try {
      await store.connect();
      const saver = new WorkflowCheckpointSaver(store);
      const thread = uniq('down');
      const checkpoint = (id: string) => ({ v: 4, id, ts: new Date().toISOString(), channel_values: { x: 1 }, channel_versions: { x: 1 }, versions_seen: {} });
      await saver.put({ configurable: { thread_id: thread } }, checkpoint('1f000000-0000-6000-8000-000000000001'), { source: 'input', step: -1, parents: {} }, { x: 1 });
      await doomed.stop();

      for (const attempt of [1, 2]) {
        const started = Date.now();
        await rejectsWith(
          saver.put(
            { configurable: { thread_id: thread, checkpoint_id: '1f000000-0000-6000-8000-000000000001' } },
            checkpoint(`1f000000-0000-6000-8000-00000000000${attempt + 1}`),
            { source: 'loop', step: attempt - 1, parents: {} },
            { x: 1 },
          ),
          StoreUnavailableError,
          `put ${attempt} while Redis is down`,
        );
        // Well under the command timeout: nothing waits for a reconnect.
        expect({ attempt, fast: Date.now() - started < 1500 }).toEqual({ attempt, fast: true });
      }
      await rejectsWith(saver.getTuple({ configurable: { thread_id: thread } }), StoreUnavailableError, 'getTuple while Redis is down');
      await rejectsWith(saver.putWrites({ configurable: { thread_id: thread, checkpoint_id: '1f000000-0000-6000-8000-000000000001' } }, [['x', 2]], 'task'), StoreUnavailableError, 'putWrites while Redis is down');
    } finally {
      await store.close();
      await doomed.stop();
    }
  });
});
