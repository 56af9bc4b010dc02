import type { WorkflowStoreOptions } from '../../config/workflow-store.options.js';
import { createWorkflowStore } from '../../create-workflow-store.js';
import { checkRedisServer } from '../../redis/persistence-check.js';
import { connectWhenReady, createStoreClient } from '../../redis/redis-client.factory.js';
import type { StoreRedisClient } from '../../redis/redis-client.types.js';
import type { StoreLogger } from '../../shared/store-logger.js';
import type { ValidatingWorkflowStore } from '../../shared/validating-workflow-store.js';

/**
 * The connections one upgrade run uses: a raw client (SCAN, the v1 keys, the format records) and a store per
 * (prefix, shard count) it reads or writes. Those stores skip the format check (`formatCheck: 'off'`): the upgrade
 * reads and writes layouts the format record does not name, on purpose. They run no periodic sweep.
 */
export class UpgradeConnections {
  private readonly stores = new Map<string, Promise<ValidatingWorkflowStore>>();

  private constructor(
    readonly client: StoreRedisClient,
    private readonly options: WorkflowStoreOptions,
    private readonly logger: StoreLogger,
  ) {}

  /** Connects the raw client and runs the same server check as the service (Redis version, persistence warnings). */
  static async open(options: WorkflowStoreOptions, logger: StoreLogger): Promise<UpgradeConnections> {
    const client = createStoreClient(options.redis);
    await connectWhenReady(client, options.redis, logger);
    try {
      await checkRedisServer(client, options.redis.persistenceCheck, logger);
    } catch (error) {
      client.disconnect();
      throw error;
    }
    return new UpgradeConnections(client, options, logger);
  }

  /** The store (root = default tenant) of one layout; opened once, on its first use. */
  storeAt(prefix: string, shards: number): Promise<ValidatingWorkflowStore> {
    const key = `${prefix}/${shards}`;
    let opened = this.stores.get(key);
    if (!opened) {
      const store = createWorkflowStore(
        {
          ...this.options,
          redis: { ...this.options.redis, keyPrefix: prefix, shards, formatCheck: 'off', persistenceCheck: 'off', purgeIntervalMs: 0 },
        },
        this.logger,
      );
      opened = store.connect().then(() => store);
      // A failed connect is not kept: close() must not wait on it, and the error reaches the caller once.
      opened.catch(() => this.stores.delete(key));
      this.stores.set(key, opened);
    }
    return opened;
  }

  async close(): Promise<void> {
    const stores = await Promise.allSettled([...this.stores.values()]);
    for (const store of stores) if (store.status === 'fulfilled') await store.value.close();
    this.stores.clear();
    try {
      if (this.client.status === 'ready') await this.client.quit();
    } finally {
      this.client.disconnect();
    }
  }
}
