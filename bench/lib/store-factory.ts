import { createWorkflowStore, loadWorkflowStoreConfig, type StoreLogger, type ValidatingWorkflowStore } from '#workflow-store';

const quiet: StoreLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The store exactly as an application builds it, with its own key prefix; persistence check off (the bench Redis has
 * none on purpose). `env` adds store variables (e.g. REDIS_SHARDS, REDIS_PURGE_INTERVAL_MS) on top.
 */
export async function redisStore(url: string, keyPrefix: string, env: Record<string, string> = {}): Promise<ValidatingWorkflowStore> {
  const store = createWorkflowStore(
    loadWorkflowStoreConfig({ USE_REDIS: 'true', REDIS_URL: url, REDIS_KEY_PREFIX: keyPrefix, REDIS_PERSISTENCE_CHECK: 'off', ...env }),
    quiet,
  );
  await store.connect();
  return store;
}

export async function memoryStore(): Promise<ValidatingWorkflowStore> {
  const store = createWorkflowStore(loadWorkflowStoreConfig({}), quiet);
  await store.connect();
  return store;
}
