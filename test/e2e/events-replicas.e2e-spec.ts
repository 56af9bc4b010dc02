/**
 * The change feed over SSE across two API replicas on one Redis: a client on one replica sees every write made
 * through the other, each once, per workflow in write order; a client whose connection is cut mid-stream and that
 * reconnects with Last-Event-ID (to the other replica) loses and repeats nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiProcess } from '../support/api-process.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { SseClient } from '../support/sse-client.js';
import { compareEventIds, EventWriter, expectSameEvents, hasAll } from './event-writes.js';

/** Workflows written at once, and writes per workflow between its create and its delete. */
const WORKFLOWS = 10;
const STEPS = 28;

describe('event streams across two replicas (Redis)', () => {
  let redis: RedisServer;
  let a: ApiProcess;
  let b: ApiProcess;

  beforeAll(async () => {
    redis = await RedisServer.start();
    // No rate limit: a few hundred writes a second from one client is the point here.
    [a, b] = (await ApiProcess.startMany(2, { USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: randomPrefix(), RATE_LIMIT_PER_MINUTE: '0' })) as [
      ApiProcess,
      ApiProcess,
    ];
  }, 40_000);
  afterAll(async () => {
    await a?.stop('SIGKILL');
    await b?.stop('SIGKILL');
    await redis?.stop();
  });

  it('a client on replica B sees every write made through replica A, each once, in write order per workflow', async () => {
    const type = randomId('type');
    const stream = await SseClient.open(`${b.url}/events?type=${type}`);
    try {
      expect(stream.status).toBe(200);
      const writer = new EventWriter();
      await Promise.all(Array.from({ length: WORKFLOWS }, (_, i) => writer.lifecycle([a.url], randomId(`w${i}`), type, STEPS)));
      expect(writer.expected.length).toBe(WORKFLOWS * (STEPS + 2));
      await stream.waitFor(() => hasAll(stream.events, writer.expected), `${writer.expected.length} events`);
      // A write made after all the others: once it is in, anything delivered out of place would be too.
      const last = randomId('last');
      await writer.create(a.url, last, type);
      await stream.waitForEvent((e) => e.id === last, 'the last write');
      expectSameEvents(stream.events, writer.expected);
      expect(new Set(stream.events.map((e) => e.tenant))).toEqual(new Set(['default']));
    } finally {
      stream.destroy();
    }
  });

  it('a client cut off mid-stream resumes on the other replica with Last-Event-ID: nothing lost, nothing repeated', async () => {
    const type = randomId('type');
    const first = await SseClient.open(`${b.url}/events?type=${type}`);
    const writer = new EventWriter();
    // Writes go through both replicas in turn while the client is cut off and reconnects.
    const writing = Promise.all(Array.from({ length: WORKFLOWS }, (_, i) => writer.lifecycle([a.url, b.url], randomId(`w${i}`), type, STEPS)));
    let second: SseClient | undefined;
    try {
      await first.waitFor(() => first.events.length >= 60, 'the first 60 events');
      // Cut the socket (no clean end); what was parsed until now is all this client got.
      first.destroy();
      const before = first.events;
      const lastEventId = first.lastEventId;
      expect(lastEventId).toBe(before[before.length - 1]?.eventId);
      second = await SseClient.open(`${a.url}/events?type=${type}`, { lastEventId });
      expect(second.status).toBe(200);
      await writing;
      const resumed = second;
      // On a timeout the comparison below says which events are missing.
      await resumed.waitFor(() => hasAll([...before, ...resumed.events], writer.expected), `${writer.expected.length} events in both streams`).catch(() => undefined);
      const last = randomId('last');
      await writer.create(a.url, last, type);
      await resumed.waitForEvent((e) => e.id === last, 'the last write');

      // Writes went on while the client was away: the second stream must have started with a backlog.
      expect(before.length).toBeLessThan(writer.expected.length - 1);
      for (const e of resumed.events) expect(compareEventIds(e.eventId, lastEventId as string)).toBeGreaterThan(0);
      expect(resumed.blocks.some((block) => block.event === 'reset')).toBe(false);
      expectSameEvents([...before, ...resumed.events], writer.expected);
    } finally {
      first.destroy();
      second?.destroy();
      await writing.catch(() => undefined);
    }
  });

  it('a client that resumes from its last event on the same replica with ?after= gets the rest', async () => {
    const type = randomId('type');
    const writer = new EventWriter();
    const first = await SseClient.open(`${a.url}/events?type=${type}`);
    let second: SseClient | undefined;
    try {
      await Promise.all(Array.from({ length: 3 }, (_, i) => writer.lifecycle([b.url], randomId(`w${i}`), type, 6)));
      await first.waitFor(() => hasAll(first.events, writer.expected), 'every event');
      const cut = first.events[9]?.eventId as string;
      first.destroy();
      second = await SseClient.open(`${a.url}/events?type=${type}&after=${cut}`);
      const resumed = second;
      const rest = first.events.slice(10);
      await resumed.waitFor(() => resumed.events.length >= rest.length, `${rest.length} events`);
      expect(resumed.events.map((e) => e.eventId)).toEqual(rest.map((e) => e.eventId));
    } finally {
      first.destroy();
      second?.destroy();
    }
  });
});
