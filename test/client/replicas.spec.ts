/**
 * Two API replicas on one Redis, a client on each: update()'s 412 loop loses no increment under contention, and a
 * watch whose replica shuts down resumes on the other one from its Last-Event-ID, losing and repeating nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowClient } from '../../libs/client/src/index.js';
import type { ApiProcess } from '../support/api-process.js';
import { randomId } from '../support/random-ids.js';
import { redisBackend, type Deployment } from './support/backends.js';
import { RecordingFetch } from './support/recording-fetch.js';
import { takeEvents } from './support/take-events.js';

/** Concurrent update() calls per client; two clients. */
const CALLS_PER_CLIENT = 12;

describe('WorkflowClient against two replicas on one Redis', () => {
  let deployment: Deployment | undefined;
  let a: ApiProcess;
  let b: ApiProcess;

  beforeAll(async () => {
    deployment = await redisBackend.start({ RATE_LIMIT_PER_MINUTE: '0' }, 2);
    [a, b] = deployment.apis as [ApiProcess, ApiProcess];
  }, 40_000);
  afterAll(async () => {
    await deployment?.stop();
  });

  it(`update() loses no increment: 2 clients × ${CALLS_PER_CLIENT} concurrent calls, one per replica, retried on 412`, async () => {
    const recorders = [new RecordingFetch(), new RecordingFetch()];
    const clients = [a, b].map((api, i) => new WorkflowClient({ baseUrl: api.url, fetch: recorders[i]!.fetch, timeoutMs: 10_000 }));
    const id = randomId('counter');
    await clients[0]!.create({ id, type: 'counter', state: { n: 0 } });

    // Every call's first read happens before any write: all of them then race with If-Match "1", so exactly one
    // wins that round and the others must go through the 412 loop (no timing involved).
    const total = 2 * CALLS_PER_CLIENT;
    let firstReads = 0;
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const increment = (client: WorkflowClient): Promise<unknown> => {
      let first = true;
      return client.update<{ n: number }>(
        id,
        async (state) => {
          if (first) {
            first = false;
            if (++firstReads === total) openGate();
            await gate;
          }
          return { ...state, n: state.n + 1 };
        },
        // A round fails only when another call's write landed since its read: 23 others bound it.
        { maxAttempts: total },
      );
    };
    await Promise.all(clients.flatMap((client) => Array.from({ length: CALLS_PER_CLIENT }, () => increment(client))));

    const final = await clients[1]!.get<{ n: number }>(id);
    expect(final.state.n).toBe(total);
    expect(final.version).toBe(total + 1);

    const puts = recorders.flatMap((r) => r.to('PUT', `/workflows/${id}`));
    const conflicts = puts.filter((r) => r.status === 412);
    console.log(`update() under contention: ${total} increments, ${puts.length} PUTs, ${conflicts.length} answered 412`);
    expect(conflicts.length).toBeGreaterThanOrEqual(total - 1);
    expect(conflicts.every((r) => r.problem === 'precondition-failed')).toBe(true);
    expect(puts.filter((r) => r.status === 200)).toHaveLength(total);
    expect(puts.length).toBe(total + conflicts.length);
    // Each round is a new request (another If-Match), so a new Idempotency-Key: reusing one would be a 422.
    expect(new Set(puts.map((r) => r.headers['idempotency-key'])).size).toBe(puts.length);
    // Both replicas took part in the race.
    expect(recorders.every((r) => r.to('PUT', `/workflows/${id}`).some((p) => p.status === 200 || p.status === 412))).toBe(true);
  }, 60_000);

  it('a watch through a replica that shuts down resumes on the other with Last-Event-ID: nothing lost or repeated', async () => {
    // The watcher's fetch sends everything to `target`: replica A, then B once A is going away (a load balancer).
    let target = a.url;
    const router = new RecordingFetch((url) => url.replace(a.url, target));
    const watcher = new WorkflowClient({ baseUrl: a.url, fetch: router.fetch, timeoutMs: 10_000 });
    const writer = new WorkflowClient({ baseUrl: b.url, timeoutMs: 10_000 });
    const id = randomId('failover');
    const feed = await watcher.watch({ id });
    try {
      await writer.create({ id, type: 'doc', state: { n: 0 } });
      for (let n = 1; n <= 4; n++) await writer.patch(id, { state: { n } });
      const before = await takeEvents(feed, 5);

      target = b.url;
      // SIGTERM: A ends its event streams cleanly (the client sees the body end) and exits.
      expect(await a.stop('SIGTERM')).toBe(0);
      for (let n = 5; n <= 9; n++) await writer.patch(id, { state: { n } });
      const after = await takeEvents(feed, 5);

      const events = [...before, ...after];
      expect(events.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(events.map((e) => e.op)).toEqual(['created', ...Array.from({ length: 9 }, () => 'updated')]);
      expect(new Set(events.map((e) => e.eventId)).size).toBe(10);
      const opened = router.to('GET', `/workflows/${id}/events`).filter((r) => r.status === 200);
      expect(opened.map((r) => new URL(r.url).origin)).toEqual([a.url, b.url]);
      expect(opened.map((r) => r.headers['last-event-id'])).toEqual([undefined, before.at(-1)?.eventId]);
      expect(feed.reconnects).toBe(1);
    } finally {
      await feed.return();
    }
  }, 60_000);
});
