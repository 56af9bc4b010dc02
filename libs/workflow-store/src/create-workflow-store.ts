import type { WorkflowStoreOptions } from './config/workflow-store.options.js';
import { MemoryStorageBackend } from './memory/memory-storage.backend.js';
import { RedisStorageBackend } from './redis/redis-storage.backend.js';
import type { StoreLogger } from './shared/store-logger.js';
import { ValidatingWorkflowStore } from './shared/validating-workflow-store.js';

/**
 * Builds the store for the configured backend. Call `connect()` before use: for Redis it waits for `ready` and
 * throws `StoreUnavailableError` with the real cause; there is never a fall back to memory.
 */
export function createWorkflowStore(options: WorkflowStoreOptions, logger: StoreLogger = console): ValidatingWorkflowStore {
  const backend =
    options.backend === 'redis'
      ? new RedisStorageBackend(options.redis, options.limits, logger)
      : new MemoryStorageBackend(options.limits, options.memory, logger);
  return new ValidatingWorkflowStore(backend, options.limits);
}
