import type { WatchMessage, WatchStream, WorkflowEvent } from '../../../libs/client/src/index.js';

/** The next `n` messages of a watch, without ending it (a for-await with break would). */
export async function takeMessages(feed: WatchStream, n: number): Promise<WatchMessage[]> {
  const messages: WatchMessage[] = [];
  while (messages.length < n) {
    const next = await feed.next();
    if (next.done) throw new Error(`the watch ended after ${messages.length} of ${n} messages`);
    messages.push(next.value);
  }
  return messages;
}

/** The next `n` events; a reset among them fails the test. */
export async function takeEvents(feed: WatchStream, n: number): Promise<WorkflowEvent[]> {
  return (await takeMessages(feed, n)).map((m) => {
    if (m.kind !== 'event') throw new Error(`expected an event, got a reset (${m.reason})`);
    return m.event;
  });
}
