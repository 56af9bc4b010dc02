import { describe, expect, it } from '@jest/globals';
import { InvalidInputProblem } from '../../../libs/client/src/index.js';
import { randomId } from '../../support/random-ids.js';
import type { ClientContext } from './context.js';
import { takeEvents, takeMessages } from './take-events.js';

/** watch() over the SSE feed: events, resume after a cut connection, resets, problems, return(). */
export function watchSuite(context: ClientContext): void {
  describe('watch', () => {
    it('yields a workflow\'s events and, after its connection is cut, resumes with Last-Event-ID: nothing lost or repeated', async () => {
      const { client, recorder } = context;
      const id = randomId('watch');
      const feed = await client.watch({ id });
      try {
        await client.create({ id, type: 'doc', state: { n: 0 } });
        for (let n = 1; n <= 4; n++) await client.patch(id, { state: { n } });
        const before = await takeEvents(feed, 5);

        expect(recorder.cutStreams()).toBe(1);
        // Written while the client is cut off: they reach it only through the resumed stream.
        for (let n = 5; n <= 9; n++) await client.patch(id, { state: { n } });
        await client.delete(id);
        const after = await takeEvents(feed, 6);

        const events = [...before, ...after];
        expect(events.map((e) => [e.op, e.version])).toEqual([
          ['created', 1],
          ...Array.from({ length: 9 }, (_, i) => ['updated', i + 2]),
          ['deleted', 10],
        ]);
        expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
        expect(events.every((e) => e.id === id && e.type === 'doc' && e.tenant === 'default')).toBe(true);
        expect(feed.reconnects).toBe(1);
        expect(feed.lastEventId).toBe(events.at(-1)?.eventId);
        const opened = recorder.to('GET', `/workflows/${id}/events`);
        expect(opened.map((r) => r.headers['last-event-id'])).toEqual([undefined, before.at(-1)?.eventId]);
        expect(opened.map((r) => r.status)).toEqual([200, 200]);
      } finally {
        await feed.return();
      }
    });

    it('filters GET /events by type, and starts with a reset when asked to resume from a point the feed never had', async () => {
      const { client } = context;
      const type = randomId('wtype');
      const future = `${Date.now() + 3_600_000}-0-0`;
      const feed = await client.watch({ type, after: future });
      try {
        await client.create({ id: randomId('other'), type: randomId('not-it'), state: {} });
        const id = randomId('typed');
        await client.create({ id, type, state: {} });
        const [reset, event] = await takeMessages(feed, 2);
        expect(reset).toEqual({ kind: 'reset', reason: 'unknown' });
        expect(event).toMatchObject({ kind: 'event', event: { id, type, op: 'created', version: 1 } });
      } finally {
        await feed.return();
      }
    });

    it('refuses a malformed resume point with a typed problem', async () => {
      await expect(context.client.watch({ after: 'not-an-event-id' })).rejects.toBeInstanceOf(InvalidInputProblem);
    });

    it('return() ends a pending next() and the iteration', async () => {
      const feed = await context.client.watch({ id: randomId('quiet') });
      const pending = feed.next();
      await feed.return();
      expect(await pending).toEqual({ done: true, value: undefined });
      expect(await feed.next()).toEqual({ done: true, value: undefined });
    });
  });
}
