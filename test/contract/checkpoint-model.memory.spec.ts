import { createWorkflowStore, loadWorkflowStoreConfig } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { describeCheckpointModel } from './checkpoint-model.js';

// The reference backend: one store, fresh tenants per run.
describeCheckpointModel(
  {
    name: 'memory',
    async makeStore() {
      const store = createWorkflowStore(loadWorkflowStoreConfig({ USE_REDIS: 'false', WORKFLOW_STATE_TTL: '600' }), quietLogger());
      await store.connect();
      return store;
    },
  },
  { runs: 60, freeRuns: 40 },
);
