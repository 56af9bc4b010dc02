import { createWorkflowStore, loadWorkflowStoreConfig } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { describeFeedModelSuite } from './feed-model.js';
import type { FeedHarness } from './feed-support.js';

const harness: FeedHarness = {
  async makeStore(env = {}) {
    const store = createWorkflowStore(loadWorkflowStoreConfig(env), quietLogger());
    await store.connect();
    return store;
  },
  async observeExpiries(store, ids) {
    for (const id of ids) await store.get(id);
  },
};

// The reference backend: a small bound (reached often), and none at all.
describeFeedModelSuite('memory, WORKFLOW_HISTORY_VERSIONS=2', harness, { runs: 300, historyVersions: 2 });
describeFeedModelSuite('memory, WORKFLOW_HISTORY_VERSIONS=0', harness, { runs: 80, historyVersions: 0 });
