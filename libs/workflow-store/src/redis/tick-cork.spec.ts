import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createWorkflowStore, loadWorkflowStoreConfig, type CommandBatching, type ValidatingWorkflowStore } from '../index.js';
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

/**
 * Reads `ids`, each from a callback of its own, all of them run in one turn of the event loop (as an HTTP server's
 * requests that arrived together each run in an I/O callback of their own, with microtasks run after each).
 * setImmediate, not setTimeout: Node runs every immediate queued before its check phase in that phase, while timers
 * set on either side of a millisecond boundary can expire in two turns (this test failed that way on a loaded machine).
 */
function readFromCallbacks(backend: RedisStorageBackend, ids: string[]): Promise<(string | undefined)[]> {
  return new Promise((resolve, reject) => {
    const reads: Promise<string | undefined>[] = [];
    for (const id of ids) setImmediate(() => reads.push(backend.getJson(id).then((r) => r?.stateJson)));
    setImmediate(() => Promise.all(reads).then(resolve, reject));
  });
}

function storeOn(server: RedisServer, batching: CommandBatching | undefined): ValidatingWorkflowStore {
  const options = loadWorkflowStoreConfig({ USE_REDIS: 'true', REDIS_URL: server.url, REDIS_KEY_PREFIX: 'cork' });
  return createWorkflowStore(batching ? { ...options, redis: { ...options.redis, commandBatching: batching } } : options, quietLogger());
}

describe('reads of one tick share one socket write (tick-cork.ts)', () => {
  let server: RedisServer;
  let store: ValidatingWorkflowStore;
  let loopTurnStore: ValidatingWorkflowStore;
  beforeAll(async () => {
    server = await RedisServer.start();
    store = storeOn(server, undefined);
    loopTurnStore = storeOn(server, 'event-loop-turn');
    await store.connect();
    await loopTurnStore.connect();
    for (let i = 0; i < 20; i++) await store.save(`c${i}`, { type: 't', state: { i } });
  });
  afterAll(async () => {
    await store?.close();
    await loopTurnStore?.close();
    await server?.stop();
  });

  const ids = Array.from({ length: 20 }, (_, i) => `c${i}`);
  const states = ids.map((_, i) => `{"i":${i}}`);

  it('by default (microtasks), reads from separate callbacks of one loop turn are written one by one', async () => {
    const backend = store.backend as RedisStorageBackend;
    const counts = countWrites((backend.client as unknown as { stream: Socket }).stream);
    expect(await readFromCallbacks(backend, ids.slice(0, 5))).toEqual(states.slice(0, 5));
    expect(counts).toEqual({ single: 5, vectored: 0 });
  });

  it('with event-loop-turn, reads from separate callbacks of one loop turn share one writev; later turns still flush', async () => {
    const backend = loopTurnStore.backend as RedisStorageBackend;
    const counts = countWrites((backend.client as unknown as { stream: Socket }).stream);
    expect(await readFromCallbacks(backend, ids)).toEqual(states);
    expect(counts).toEqual({ single: 0, vectored: 1 });
    for (const [i, id] of ids.slice(0, 3).entries()) expect((await loopTurnStore.get(id))?.state).toEqual({ i });
    expect(counts).toEqual({ single: 3, vectored: 1 });
    // A write script and a read of one turn: each its own answer, the write applied once.
    await store.save('u', { type: 't', state: { u: 0 } });
    const [written, read] = await Promise.all([loopTurnStore.update('u', { state: { j: 1 } }), loopTurnStore.getJson('c8')]);
    expect({ state: written.state, read: read?.stateJson }).toEqual({ state: { u: 0, j: 1 }, read: '{"i":8}' });
    expect((await store.get('u'))?.version).toBe(2);
  });

  it('sends 20 gets of one tick with one writev, each answered with its own record; later ticks still flush', async () => {
    const backend = store.backend as RedisStorageBackend;
    const counts = countWrites((backend.client as unknown as { stream: Socket }).stream);
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
