import { afterEach, describe, expect, it } from '@jest/globals';
import { createWorkflowStore } from '../create-workflow-store.js';
import { loadWorkflowStoreConfig } from '../config/workflow-store.config.js';
import { LeaseHeldError } from '../errors/lease-held.error.js';
import { LeaseLostError } from '../errors/lease-lost.error.js';
import type { ValidatingWorkflowStore } from '../shared/validating-workflow-store.js';
import { runStep } from './run-step.js';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const stores: ValidatingWorkflowStore[] = [];

async function memoryStore(): Promise<ValidatingWorkflowStore> {
  const store = createWorkflowStore(loadWorkflowStoreConfig({ LEASE_SWEEP_INTERVAL_MS: '0' }), quiet);
  await store.connect();
  stores.push(store);
  return store;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

describe('runStep (memory backend)', () => {
  it('holds the lease while the step runs, renews it past its TTL, passes the token to writes and releases it', async () => {
    const store = await memoryStore();
    await store.create({ id: 'w', type: 't', state: {} });
    const result = await runStep(
      store,
      'w',
      'worker-1',
      async (step) => {
        await expect(store.acquireLease('w', { owner: 'worker-2', ttlMs: 1000 })).rejects.toBeInstanceOf(LeaseHeldError);
        await sleep(900); // three times the TTL: only renewals (every 100 ms) keep it
        await expect(store.update('w', { status: 'x' })).rejects.toBeInstanceOf(LeaseHeldError);
        return (await store.update('w', { status: 'done' }, step.withLease())).version;
      },
      // Long enough that a loaded machine running one renewal late (by up to 200 ms) does not lose it.
      { ttlMs: 300 },
    );
    expect(result).toBe(2);
    // Released: another owner gets it at once, with a larger token.
    const next = await store.acquireLease('w', { owner: 'worker-2', ttlMs: 1000 });
    expect(next.owner).toBe('worker-2');
  });

  it('rejects with LeaseLostError and aborts the signal when the lease is taken over while the step is paused', async () => {
    const store = await memoryStore();
    await store.create({ id: 'w', type: 't', state: {} });
    let aborted = false;
    const step = runStep(
      store,
      'w',
      'slow',
      async (context) => {
        context.signal.addEventListener('abort', () => (aborted = true));
        // Simulates a pause past the TTL during which renewals cannot happen: they are blocked here by a busy loop.
        const until = Date.now() + 250;
        while (Date.now() < until) {
          /* a process stopped past its lease */
        }
        const successor = await store.acquireLease('w', { owner: 'successor', ttlMs: 5000 });
        await store.update('w', { status: 'by-successor' }, { leaseToken: successor.token });
        await sleep(120); // a renewal tick now finds the lease gone
        await store.update('w', { status: 'late' }, context.withLease());
        return 'finished';
      },
      { ttlMs: 100 },
    );
    await expect(step).rejects.toBeInstanceOf(LeaseLostError);
    expect(aborted).toBe(true);
    expect((await store.get('w'))?.status).toBe('by-successor');
  });
});
