import { describeFeedModelSuite } from './feed-model.js';
import { memoryFeedHarness } from './feed-support.js';

const harness = memoryFeedHarness();

// The reference backend: a small bound (reached often), and none at all.
describeFeedModelSuite('memory, WORKFLOW_HISTORY_VERSIONS=2', harness, { runs: 300, historyVersions: 2 });
describeFeedModelSuite('memory, WORKFLOW_HISTORY_VERSIONS=0', harness, { runs: 80, historyVersions: 0 });
