import { createWorkflowStore, loadWorkflowStoreConfig } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { describeWorkflowStoreContract } from './workflow-store.contract.js';

// The reference backend runs the suite first: if it fails here, the suite or the core is wrong, not Redis.
describeWorkflowStoreContract('memory', async (env = {}) => {
  const store = createWorkflowStore(loadWorkflowStoreConfig(env), quietLogger());
  await store.connect();
  return store;
});
