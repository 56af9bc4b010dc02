import { describe, expect, it } from '@jest/globals';
import { createWorkflowStore, loadWorkflowStoreConfig } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { describeFeedContract } from './feed.contract.js';
import { Collector, freshTenant, messageText, sleep, uniq, type FeedHarness, type FeedStore } from './feed-support.js';
import { describeHistoryContract } from './history.contract.js';

// The reference backend runs the suites first: if they fail here, the suite or the core is wrong, not Redis.
const harness: FeedHarness = {
  async makeStore(env = {}) {
    const store = createWorkflowStore(loadWorkflowStoreConfig(env), quietLogger());
    await store.connect();
    return store;
  },
  // The memory backend observes an expiry when it meets the expired workflow: a read is enough.
  async observeExpiries(store, ids) {
    for (const id of ids) await store.get(id);
  },
};

describeFeedContract('memory', harness);
describeHistoryContract('memory', harness);

describe('change feed, memory only', () => {
  it('events do not outlive the process: a resume point from another store instance is "trimmed", then live', async () => {
    const first = await harness.makeStore();
    const tenant = freshTenant();
    let second: FeedStore | undefined;
    try {
      const watch = await Collector.open(first.forTenant(tenant));
      const id = uniq('gone');
      await first.forTenant(tenant).create({ id, type: 'tm', state: {} });
      await watch.untilEventOf(id);
      const point = watch.events[0]?.eventId as string;
      await watch.close();
      await sleep(5);
      second = await harness.makeStore();
      const view = second.forTenant(tenant);
      const resumed = await Collector.open(view, {}, point);
      const live = uniq('live');
      await view.create({ id: live, type: 'tm', state: {} });
      await resumed.untilEventOf(live);
      expect(resumed.messages.map(messageText)).toEqual(['reset(trimmed)', `created ${live} v1 tm/created`]);
      await resumed.close();
    } finally {
      await first.close();
      await second?.close();
    }
  });
});
