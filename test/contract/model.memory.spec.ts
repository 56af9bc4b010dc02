import { createWorkflowStore, loadWorkflowStoreConfig } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { describeModelSuite } from './model.js';

// The reference backend: one store, a fresh tenant per run.
describeModelSuite(
  'memory',
  async (env = {}) => {
    const store = createWorkflowStore(loadWorkflowStoreConfig(env), quietLogger());
    await store.connect();
    return store;
  },
  { runs: 300 },
);
