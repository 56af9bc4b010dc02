import { createWorkflowStore, loadWorkflowStoreConfig } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { describeCheckpointThreadsContract } from './checkpoint-threads.contract.js';

// The reference backend.
describeCheckpointThreadsContract({
  name: 'memory',
  async makeStore(env = {}) {
    const store = createWorkflowStore(loadWorkflowStoreConfig({ USE_REDIS: 'false', LEASE_SWEEP_INTERVAL_MS: '0', ...env }), quietLogger());
    await store.connect();
    return store;
  },
});
