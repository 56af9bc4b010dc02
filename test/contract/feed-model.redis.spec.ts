import { describeFeedModelSuite } from './feed-model.js';
import { redisFeedHarness } from './feed-support.js';

// A private redis-server, a prefix per store (a second instance for cold resumes shares it), no periodic sweep.
const harness = redisFeedHarness();

// 4 shards: five ids spread over several shard streams, so the feed's order across shards is exercised.
describeFeedModelSuite('redis, REDIS_SHARDS=4, WORKFLOW_HISTORY_VERSIONS=2', harness, { runs: 150, historyVersions: 2, env: { REDIS_SHARDS: '4' } });
// The default 64 shards (each id in a stream of its own, mostly), a bound the longer runs reach.
describeFeedModelSuite('redis, REDIS_SHARDS default (64), WORKFLOW_HISTORY_VERSIONS=3', harness, { runs: 60, historyVersions: 3, maxCommands: 40 });
