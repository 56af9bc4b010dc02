/**
 * Event streams against the service's settings and life (Redis): a resume point older than the retention is a
 * reset then live events; the feed off or Redis unreachable is a problem, no stream; tenants never see each other's
 * events, and a stream is one request to the rate limit; SIGTERM ends open streams and the process exits 0 promptly.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiProcess } from '../support/api-process.js';
import { fileRedisServer } from '../support/file-redis-server.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { SseClient } from '../support/sse-client.js';
import { apiKey, bearer } from '../security/api-keys.js';
import { EventWriter, expectSameEvents, hasAll } from './event-writes.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const redis = fileRedisServer();

describe('EVENTS_RETENTION_SECONDS=1', () => {
  let first: ApiProcess;
  let second: ApiProcess;

  beforeAll(async () => {
    [first, second] = (await ApiProcess.startMany(2, { USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: randomPrefix(), EVENTS_RETENTION_SECONDS: '1' })) as [
      ApiProcess,
      ApiProcess,
    ];
  }, 40_000);
  afterAll(async () => {
    await first?.stop('SIGKILL');
    await second?.stop('SIGKILL');
  });

  it('answers a resume point older than the retention with event: reset (trimmed, no id), then live events', async () => {
    const type = randomId('type');
    const writer = new EventWriter();
    const live = await SseClient.open(`${first.url}/events?type=${type}`);
    const old = randomId('old');
    await writer.create(first.url, old, type);
    await live.waitForEvent((e) => e.id === old, 'the first write');
    const resumeFrom = live.lastEventId as string;
    live.destroy();

    // Let the retention pass (the one sleep here: time itself is what is tested), then write so the feed trims.
    await sleep(1500);
    await writer.create(first.url, randomId('between'), type);

    // The other replica has never followed this feed: it can only learn from Redis that the point is gone.
    const resumed = await SseClient.open(`${second.url}/events?type=${type}`, { lastEventId: resumeFrom });
    try {
      expect(resumed.status).toBe(200);
      await resumed.waitFor(() => resumed.blocks.some((b) => b.event === 'reset'), 'the reset');
      const after = randomId('after');
      await writer.create(first.url, after, type);
      await resumed.waitForEvent((e) => e.id === after, 'the write after the reset');

      const blocks = resumed.blocks.filter((b) => b.comments.length === 0);
      expect(blocks[0]).toEqual({ retry: '2000', comments: [] });
      expect(blocks[1]).toEqual({ event: 'reset', data: '{"reason":"trimmed"}', comments: [] });
      expect(blocks.slice(2).every((b) => b.event === 'workflow' && b.id !== undefined)).toBe(true);
      expect(resumed.events.map((e) => e.id)).not.toContain(old);
    } finally {
      resumed.destroy();
    }
  });
});

describe('EVENTS_RETENTION_SECONDS=0', () => {
  let api: ApiProcess;

  beforeAll(async () => {
    api = await ApiProcess.start({ USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: randomPrefix(), EVENTS_RETENTION_SECONDS: '0' });
  });
  afterAll(async () => {
    await api?.stop('SIGKILL');
  });

  it('answers the event routes with a 501 events-disabled problem and no stream; writes and history still work', async () => {
    const id = randomId();
    const writer = new EventWriter();
    await writer.create(api.url, id, 'doc');
    for (const path of ['/events', `/workflows/${id}/events`, '/events?type=doc']) {
      const answer = await SseClient.open(`${api.url}${path}`);
      await answer.closed;
      expect([path, answer.status, answer.headers['content-type']]).toEqual([path, 501, PROBLEM]);
      expect(JSON.parse(answer.body)).toMatchObject({ type: 'urn:workflow-store:problem:events-disabled', status: 501 });
      expect(answer.blocks).toEqual([]);
    }
    expect((await fetch(`${api.url}/workflows/${id}/versions`)).status).toBe(200);
  });
});

describe('tenants and the rate limit', () => {
  const acme = { read: apiKey('acme', 'read'), write: apiKey('acme', 'write') };
  const globex = { write: apiKey('globex', 'write') };
  const limited = apiKey('initech', 'read');
  const RATE = 20;
  let api: ApiProcess;

  beforeAll(async () => {
    api = await ApiProcess.start({
      USE_REDIS: 'true',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: randomPrefix(),
      API_KEYS: [acme.read.entry, acme.write.entry, globex.write.entry, limited.entry].join(','),
      RATE_LIMIT_PER_MINUTE: String(RATE),
      SSE_HEARTBEAT_MS: '1000',
    });
  });
  afterAll(async () => {
    await api?.stop('SIGKILL');
  });

  it("never carries another tenant's events, not even of a workflow with the same id", async () => {
    const shared = randomId('shared');
    const acmeAll = await SseClient.open(`${api.url}/events`, { headers: bearer(acme.read.key) });
    const acmeOne = await SseClient.open(`${api.url}/workflows/${shared}/events`, { headers: bearer(acme.read.key) });
    const globexAll = await SseClient.open(`${api.url}/events`, { headers: bearer(globex.write.key) });
    try {
      expect([acmeAll.status, acmeOne.status, globexAll.status]).toEqual([200, 200, 200]);
      const acmeWrites = new EventWriter(bearer(acme.write.key));
      const globexWrites = new EventWriter(bearer(globex.write.key));
      // globex first: by the time acme's last event is in, a leaked globex event would be too.
      await globexWrites.lifecycle([api.url], shared, 'doc', 3);
      await globexAll.waitFor(() => hasAll(globexAll.events, globexWrites.expected), "globex's events");
      await acmeWrites.lifecycle([api.url], shared, 'doc', 3);
      await acmeAll.waitFor(() => hasAll(acmeAll.events, acmeWrites.expected), "acme's events");
      await acmeOne.waitFor(() => hasAll(acmeOne.events, acmeWrites.expected), "acme's events of the workflow");

      expectSameEvents(acmeAll.events, acmeWrites.expected);
      expectSameEvents(acmeOne.events, acmeWrites.expected);
      expectSameEvents(globexAll.events, globexWrites.expected);
      expect(new Set(acmeAll.events.map((e) => e.tenant))).toEqual(new Set(['acme']));
      expect(new Set(globexAll.events.map((e) => e.tenant))).toEqual(new Set(['globex']));
    } finally {
      for (const stream of [acmeAll, acmeOne, globexAll]) stream.destroy();
    }
  });

  it('refuses a stream without a valid key with 401, before any stream byte', async () => {
    for (const headers of [{}, bearer('wfs_not-a-key')]) {
      const answer = await SseClient.open(`${api.url}/events`, { headers });
      await answer.closed;
      expect([answer.status, answer.headers['content-type']]).toEqual([401, PROBLEM]);
      expect(answer.blocks).toEqual([]);
    }
  });

  it('counts a stream as one request however long it stays open', async () => {
    const stream = await SseClient.open(`${api.url}/events`, { headers: bearer(limited.key) });
    try {
      expect(stream.status).toBe(200);
      await stream.waitFor(() => stream.blocks.filter((b) => b.comments.includes('hb')).length >= 2, 'two heartbeats', 5000);
      const statuses: number[] = [];
      for (let i = 0; i < RATE; i++) statuses.push((await fetch(`${api.url}/workflows/${randomId()}`, { headers: bearer(limited.key) })).status);
      // The stream was request 1: RATE - 1 more are answered, the next is refused.
      expect(statuses.slice(0, RATE - 1).every((s) => s === 404)).toBe(true);
      expect(statuses[RATE - 1]).toBe(429);
      expect(stream.hasEnded).toBe(false);
    } finally {
      stream.destroy();
    }
  });
});

describe('Redis unreachable', () => {
  it('answers a new stream with a 503 problem before any stream byte, and streams again once Redis is back', async () => {
    const own = await RedisServer.start();
    const api = await ApiProcess.start({ USE_REDIS: 'true', REDIS_URL: own.url, REDIS_KEY_PREFIX: randomPrefix(), REDIS_COMMAND_TIMEOUT_MS: '300' });
    try {
      own.pause();
      const started = Date.now();
      const answer = await SseClient.open(`${api.url}/events`);
      await answer.closed;
      expect([answer.status, answer.headers['content-type'], answer.headers['retry-after']]).toEqual([503, PROBLEM, '1']);
      expect(JSON.parse(answer.body)).toMatchObject({ type: 'urn:workflow-store:problem:store-unavailable' });
      expect(answer.blocks).toEqual([]);
      expect(Date.now() - started).toBeLessThan(5000);
      own.resume();
      const stream = await SseClient.open(`${api.url}/events`);
      try {
        expect(stream.status).toBe(200);
        const id = randomId();
        await new EventWriter().create(api.url, id, 'doc');
        await stream.waitForEvent((e) => e.id === id, 'a write after Redis came back');
      } finally {
        stream.destroy();
      }
    } finally {
      own.resume();
      await api.stop('SIGKILL');
      await own.stop();
    }
  });
});

describe('SIGTERM with open streams', () => {
  it('ends every stream and exits 0 promptly', async () => {
    const api = await ApiProcess.start({ USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: randomPrefix(), SHUTDOWN_TIMEOUT_MS: '10000' });
    const streams: SseClient[] = [];
    try {
      const id = randomId();
      streams.push(await SseClient.open(`${api.url}/events`), await SseClient.open(`${api.url}/events?type=doc`), await SseClient.open(`${api.url}/workflows/${id}/events`));
      const writer = new EventWriter();
      await writer.create(api.url, id, 'doc');
      for (const stream of streams) await stream.waitForEvent((e) => e.id === id, 'the write');

      const started = Date.now();
      const code = await api.stop('SIGTERM');
      const took = Date.now() - started;
      expect(code).toBe(0);
      // Far below SHUTDOWN_TIMEOUT_MS: the streams did not hold the shutdown up (it would have ended with code 1).
      expect(took).toBeLessThan(5000);
      await Promise.all(streams.map((stream) => stream.closed));
      expect(streams.every((stream) => stream.hasEnded)).toBe(true);
    } finally {
      for (const stream of streams) stream.destroy();
      await api.stop('SIGKILL');
    }
  });
});
