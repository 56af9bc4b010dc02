import { createWorkflowStore, loadWorkflowStoreConfig, ValidatingWorkflowStore } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { describeStateCacheContract } from './state-cache.contract.js';

// Two "replicas" of one memory backend: two stores (each with its own state cache) over the same backend object.
describeStateCacheContract(
  'memory',
  async () => {
    const options = loadWorkflowStoreConfig({});
    const a = createWorkflowStore(options, quietLogger());
    await a.connect();
    const b = new ValidatingWorkflowStore(a.backend, options.limits);
    return { a, b, close: () => a.close() };
  },
  { runs: 150 },
);
