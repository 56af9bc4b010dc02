/**
 * A write whose reply is lost is applied once. The server is frozen with SIGSTOP so a command reaches its socket
 * but no reply comes back; the store must give up within its command timeout with a typed error, and a retry
 * with the same operationId must not apply the write a second time.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createWorkflowStore,
  loadWorkflowStoreConfig,
  IdempotencyKeyReusedError,
  NotFoundError,
  OutcomeUnknownError,
  StoreUnavailableError,
  type ValidatingWorkflowStore,
} from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';

/** 300 ms command timeout; a typed error must arrive well within this bound on a loaded machine. */
const REJECT_WITHIN_MS = 1500;

let server: RedisServer;
let store: ValidatingWorkflowStore;

beforeAll(async () => {
  server = await RedisServer.start();
  store = createWorkflowStore(
    loadWorkflowStoreConfig({
      USE_REDIS: 'true',
      REDIS_URL: server.url,
      REDIS_KEY_PREFIX: randomPrefix(),
      REDIS_COMMAND_TIMEOUT_MS: '300',
      REDIS_PURGE_INTERVAL_MS: '0',
      WORKFLOW_STATE_TTL: '60',
    }),
    quietLogger(),
  );
  await store.connect();
});

afterAll(async () => {
  server?.resume();
  await store?.close();
  await server?.stop();
});

/** Runs `write` against a frozen server; returns its error and how long it took to arrive. The server is resumed after. */
async function whileFrozen(write: () => Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  server.pause();
  const started = Date.now();
  let error: unknown;
  try {
    const value = await write();
    error = new Error(`expected the write to fail while Redis is frozen, got ${JSON.stringify(value)}`);
  } catch (caught) {
    error = caught;
  } finally {
    server.resume();
  }
  return { error, elapsedMs: Date.now() - started };
}

/** Polls ping() until the store answers again (at most 5 s). */
async function untilAnswering(): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      await store.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('a write whose reply was lost', () => {
  it('update: fails fast with a typed error, and the retry with the same operationId applies it exactly once', async () => {
    const id = randomId('upd');
    const created = await store.create({ id, type: 't', state: { n: 0 } });

    const { error, elapsedMs } = await whileFrozen(() => store.update(id, { state: { n: 1 } }, { operationId: 'op-1' }));
    expect(elapsedMs).toBeLessThan(REJECT_WITHIN_MS);
    // update reads before it writes: if the read timed out, nothing was sent to be applied (StoreUnavailableError);
    // if the write itself was sent, its outcome is unknown (OutcomeUnknownError). Nothing else is acceptable.
    const kind = error instanceof StoreUnavailableError ? 'unavailable' : error instanceof OutcomeUnknownError ? 'unknown' : 'other';
    expect({ kind, error: String(error) }).toEqual({ kind: expect.stringMatching(/^(unavailable|unknown)$/), error: expect.any(String) });

    await untilAnswering();
    if (kind === 'unavailable') {
      // Nothing was written: the workflow is exactly as before.
      expect(await store.get(id)).toEqual(created);
    }
    const retried = await store.update(id, { state: { n: 1 } }, { operationId: 'op-1' });
    expect(retried.version).toBe(created.version + 1);
    expect(retried.state).toEqual({ n: 1 });
    const again = await store.update(id, { state: { n: 1 } }, { operationId: 'op-1' });
    expect(again.version).toBe(created.version + 1);
    expect((await store.get(id))?.version).toBe(created.version + 1);
  });

  it('save: OutcomeUnknownError within the bound, the frozen write is applied late, and retries apply nothing more', async () => {
    const id = randomId('save');
    await store.create({ id, type: 't', state: { n: 0 } });
    // Warm up: the save script is loaded, so the frozen EVALSHA runs as soon as Redis resumes (no NOSCRIPT fallback).
    const before = await store.save(id, { state: { n: 'warm' } });

    const { error, elapsedMs } = await whileFrozen(() => store.save(id, { state: { saved: 'late' } }, { operationId: 'op-save' }));
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(elapsedMs).toBeLessThan(REJECT_WITHIN_MS);

    await untilAnswering();
    // The command had reached Redis' socket: it ran when the server resumed, before the ping was answered.
    const applied = await store.get(id);
    expect(applied).toMatchObject({ version: before.version + 1, state: { saved: 'late' } });

    const retried = await store.save(id, { state: { saved: 'late' } }, { operationId: 'op-save' });
    expect(retried).toEqual(applied);
    const secondRetry = await store.save(id, { state: { saved: 'late' } }, { operationId: 'op-save' });
    expect(secondRetry.version).toBe(before.version + 1);
    expect(await store.get(id)).toEqual(applied);
  });

  it('read-modify-write: when the write after the read loses its reply, the retry with the same operationId applies nothing more', async () => {
    const id = randomId('rmw');
    const created = await store.create({ id, type: 't', state: { counter: 0 } });
    await store.update(id, { state: { counter: 1 } }); // the save script is loaded before the freeze
    let calls = 0;
    let started = 0;
    let error: unknown;
    try {
      // The freeze happens between mutate's read and its compare-and-set write, so the write itself is what is lost.
      await store.mutate(
        id,
        (current) => {
          calls += 1;
          server.pause();
          started = Date.now();
          return { state: { counter: (current.state.counter as number) + 1 } };
        },
        { operationId: 'op-rmw' },
      );
    } catch (caught) {
      error = caught;
    } finally {
      server.resume();
    }
    const elapsedMs = Date.now() - started;
    expect(calls).toBe(1);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(elapsedMs).toBeLessThan(REJECT_WITHIN_MS);
    await untilAnswering();
    expect(await store.get(id)).toMatchObject({ version: created.version + 2, state: { counter: 2 } });

    const retried = await store.mutate(
      id,
      (current) => {
        calls += 1;
        return { state: { counter: (current.state.counter as number) + 1 } };
      },
      { operationId: 'op-rmw' },
    );
    expect(retried).toMatchObject({ version: created.version + 2, state: { counter: 2 } });
    // The key belongs to that mutate: another request with it is refused, and changes nothing.
    await expect(store.update(id, { state: { counter: 99 } }, { operationId: 'op-rmw' })).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(await store.get(id)).toMatchObject({ version: created.version + 2, state: { counter: 2 } });
  });

  it('create: a retry of a lost create with the same operationId answers the workflow, not AlreadyExistsError', async () => {
    const id = randomId('create');
    await store.create({ id: randomId('warm'), type: 't', state: {} }); // the create script is loaded before the freeze
    const { error, elapsedMs } = await whileFrozen(() => store.create({ id, type: 't', state: { c: 1 } }, { operationId: 'op-create' }));
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(elapsedMs).toBeLessThan(REJECT_WITHIN_MS);
    await untilAnswering();
    const retried = await store.create({ id, type: 't', state: { c: 1 } }, { operationId: 'op-create' });
    expect(retried).toMatchObject({ id, version: 1, state: { c: 1 } });
    expect(await store.get(id)).toEqual(retried);
  });

  it('delete: a retry of a lost delete with the same operationId resolves, not NotFoundError', async () => {
    const id = randomId('delete');
    await store.create({ id, type: 't', state: {} });
    await expect(store.delete(randomId('missing'))).rejects.toBeInstanceOf(NotFoundError); // loads the delete script
    const { error, elapsedMs } = await whileFrozen(() => store.delete(id, { operationId: 'op-delete' }));
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(elapsedMs).toBeLessThan(REJECT_WITHIN_MS);
    await untilAnswering();
    expect(await store.get(id)).toBeNull();
    await expect(store.delete(id, { operationId: 'op-delete' })).resolves.toEqual({ id, version: 1 });
    await expect(store.delete(id, { operationId: 'op-delete' })).resolves.toEqual({ id, version: 1 });
    await expect(store.delete(id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a read against a frozen server fails fast with StoreUnavailableError, never a miss', async () => {
    const id = randomId('read');
    await store.create({ id, type: 't', state: {} });
    const { error, elapsedMs } = await whileFrozen(() => store.get(id));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(elapsedMs).toBeLessThan(REJECT_WITHIN_MS);
    await untilAnswering();
    expect((await store.get(id))?.id).toBe(id);
  });
});
