/**
 * Backends for the lease suites (lease.contract.ts, lease-model.ts): a connected store per call, and the lease sweep
 * run on demand (the suites' stores have LEASE_SWEEP_INTERVAL_MS=0 unless a test asks for a periodic sweep, so a
 * lease only stalls its workflow when the test sweeps).
 */
import { createWorkflowStore, loadWorkflowStoreConfig, type ValidatingWorkflowStore, type WorkflowStore } from '#workflow-store';
import type { MemoryStorageBackend } from '../../libs/workflow-store/src/memory/memory-storage.backend.js';
import type { RedisStorageBackend } from '../../libs/workflow-store/src/redis/redis-storage.backend.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomPrefix } from '../support/random-ids.js';
import type { FeedStore } from './feed-support.js';

export interface LeaseHarness {
  readonly name: string;
  /** A new connected store (Redis: a key prefix of its own), LEASE_SWEEP_INTERVAL_MS=0 unless `env` sets it. */
  makeStore(env?: Record<string, string>): Promise<FeedStore>;
  /** Runs the lease sweep over every shard of this store's tenant (a view) now; returns how many leases it found expired. */
  sweepLeases(store: WorkflowStore): Promise<number>;
  /** One pass of the store-wide lease sweep, the one the timer runs (every tenant): memory `sweepLeases()` of the root, Redis `leaseSweepTick()`. */
  sweepAllTenants(root: WorkflowStore): Promise<number>;
  /** Makes the store observe workflows that expired (Redis: the purge of the tenant; memory: a read of each id). */
  observeExpiries(store: WorkflowStore, ids: readonly string[]): Promise<void>;
}

function backendOf<T>(store: WorkflowStore): T {
  return (store as ValidatingWorkflowStore).backend as unknown as T;
}

async function open(env: Record<string, string>): Promise<FeedStore> {
  const store = createWorkflowStore(loadWorkflowStoreConfig(env), quietLogger());
  await store.connect();
  return store;
}

export const memoryLeaseHarness: LeaseHarness = {
  name: 'memory',
  makeStore(env = {}) {
    return open({ LEASE_SWEEP_INTERVAL_MS: '0', ...env });
  },
  async sweepLeases(store) {
    return backendOf<MemoryStorageBackend>(store).sweepLeases();
  },
  async sweepAllTenants(root) {
    return backendOf<MemoryStorageBackend>(root).sweepLeases();
  },
  async observeExpiries(store, ids) {
    for (const id of ids) await store.get(id);
  },
};

/** The Redis harness over `url()` (a private redis-server the spec file starts). */
export function redisLeaseHarness(url: () => string, base: Record<string, string> = {}): LeaseHarness {
  return {
    name: 'redis',
    makeStore(env = {}) {
      return open({
        USE_REDIS: 'true',
        REDIS_URL: url(),
        REDIS_KEY_PREFIX: randomPrefix(),
        REDIS_COMMAND_TIMEOUT_MS: '5000',
        REDIS_PURGE_INTERVAL_MS: '0',
        LEASE_SWEEP_INTERVAL_MS: '0',
        ...base,
        ...env,
      });
    },
    async sweepLeases(store) {
      const backend = backendOf<RedisStorageBackend>(store);
      let found = 0;
      for (let shard = 0; shard < backend.shards; shard++) found += await backend.expireLeases(shard);
      return found;
    },
    async sweepAllTenants(root) {
      return backendOf<RedisStorageBackend>(root).leaseSweepTick();
    },
    async observeExpiries(store) {
      await backendOf<RedisStorageBackend>(store).purgeExpired();
    },
  };
}
