import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createWorkflowStore, loadWorkflowStoreConfig, type ValidatingWorkflowStore } from '../index.js';
import { quietLogger } from '../../../../test/support/quiet-logger.js';
import { RedisServer } from '../../../../test/support/redis-server.js';
import type { RedisStorageBackend } from './redis-storage.backend.js';

/** Counts the system-call-level writes of a socket (Node's _write for one chunk, _writev for several). */
function countWrites(socket: Socket): { single: number; vectored: number } {
  const counts = { single: 0, vectored: 0 };
  const target = socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
  const write = target._write.bind(socket);
  const writev = target._writev.bind(socket);
  target._write = (...args) => {
    counts.single += 1;
    write(...args);
  };
  target._writev = (...args) => {
    counts.vectored += 1;
    writev(...args);
  };
  return counts;
}

describe('reads of one tick share one socket write (tick-cork.ts)', () => {
  let server: RedisServer;
  let store: ValidatingWorkflowStore;
  beforeAll(async () => {
    server = await RedisServer.start();
    store = createWorkflowStore(loadWorkflowStoreConfig({ USE_REDIS: 'true', REDIS_URL: server.url, REDIS_KEY_PREFIX: 'cork' }), quietLogger());
    await store.connect();
    for (let i = 0; i < 20; i++) await store.save(`c${i}`, { type: 't', state: { i } });
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  it('sends 20 gets of one tick with one writev, each answered with its own record; later ticks still flush', async () => {
    const backend = store.backend as RedisStorageBackend;
    const counts = countWrites((backend.client as unknown as { stream: Socket }).stream);
    const ids = Array.from({ length: 20 }, (_, i) => `c${i}`);
    const read = await Promise.all(ids.map((id) => backend.getJson(id)));
    expect(read.map((r) => r?.stateJson)).toEqual(ids.map((_, i) => `{"i":${i}}`));
    expect(counts).toEqual({ single: 0, vectored: 1 });
    // One read per tick: one write each, none left corked.
    for (const [i, id] of ids.slice(0, 3).entries()) expect((await store.get(id))?.state).toEqual({ i });
    expect(counts).toEqual({ single: 3, vectored: 1 });
    // A missing id and a present one in the same tick: each its own answer.
    const [missing, present] = await Promise.all([store.get('none'), store.getJson('c5')]);
    expect({ missing, present: present?.stateJson }).toEqual({ missing: null, present: '{"i":5}' });
  });
});
