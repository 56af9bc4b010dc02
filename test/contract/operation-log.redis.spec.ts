/**
 * The operation log keeps the last 32 operation ids of a workflow, so a retry of any of them is recognised.
 * Regression: trimming the log past 32 entries used to cut it down to nothing (string.find returns start and end,
 * and both went to string.sub), so every 33rd write forgot itself and a retry of it was applied a second time
 * (found by the reconnect-storm fault test, T6).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createWorkflowStore, loadWorkflowStoreConfig, type ValidatingWorkflowStore } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';

const REMEMBERED = 32;

let server: RedisServer;
let store: ValidatingWorkflowStore;

beforeAll(async () => {
  server = await RedisServer.start();
  store = createWorkflowStore(
    loadWorkflowStoreConfig({ USE_REDIS: 'true', REDIS_URL: server.url, REDIS_KEY_PREFIX: randomPrefix(), REDIS_PURGE_INTERVAL_MS: '0' }),
    quietLogger(),
  );
  await store.connect();
});

afterAll(async () => {
  await store?.close();
  await server?.stop();
});

describe('the operation log', () => {
  it(`recognises a retry of each of the last ${REMEMBERED} operations, however many came before`, async () => {
    const id = randomId('oplog');
    await store.create({ id, type: 't', state: {} });
    const writes = 3 * REMEMBERED + 5;
    for (let n = 0; n < writes; n++) await store.update(id, { state: { [`m${n}`]: n } }, { operationId: `op-${n}` });
    const version = 1 + writes;
    expect((await store.get(id))?.version).toBe(version);
    for (let n = writes - REMEMBERED; n < writes; n++) {
      expect((await store.update(id, { state: { [`m${n}`]: n } }, { operationId: `op-${n}` })).version).toBe(version);
      expect((await store.save(id, { state: {} }, { operationId: `op-${n}` })).version).toBe(version);
    }
    expect((await store.get(id))?.version).toBe(version);
  });
});
