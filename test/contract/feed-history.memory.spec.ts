import { describe, expect, it } from '@jest/globals';
import { describeFeedContract } from './feed.contract.js';
import { Collector, freshTenant, memoryFeedHarness, messageText, sleep, uniq, type FeedStore } from './feed-support.js';
import { describeHistoryContract } from './history.contract.js';

// The reference backend runs the suites first: if they fail here, the suite or the core is wrong, not Redis.
const harness = memoryFeedHarness();

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
