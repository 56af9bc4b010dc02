/**
 * GET /events and GET /workflows/:id/events on one API (Redis): the stream's head and framing, heartbeats, the
 * id/type/status filters, resuming (Last-Event-ID wins over ?after=, an id from the future is a reset), bad input
 * answered as problem+json before any stream byte, the metrics, and the OpenAPI description.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiProcess } from '../support/api-process.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { SseClient } from '../support/sse-client.js';
import { EventWriter, expectSameEvents, hasAll, type ExpectedEvent } from './event-writes.js';

const PROBLEM = 'application/problem+json; charset=utf-8';

describe('event streams (Redis)', () => {
  let redis: RedisServer;
  let api: ApiProcess;
  const streams: SseClient[] = [];
  const open = async (path: string, lastEventId?: string): Promise<SseClient> => {
    const stream = await SseClient.open(`${api.url}${path}`, lastEventId === undefined ? {} : { lastEventId });
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    api = await ApiProcess.start({ USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: randomPrefix(), SSE_HEARTBEAT_MS: '1000' });
  });
  afterAll(async () => {
    for (const stream of streams) stream.destroy();
    await api?.stop('SIGKILL');
    await redis?.stop();
  });

  it('answers 200 text/event-stream, unbuffered, starting with a retry hint; heartbeats every SSE_HEARTBEAT_MS carry no id', async () => {
    const stream = await open('/events');
    expect(stream.status).toBe(200);
    expect(stream.headers).toMatchObject({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    expect(stream.headers['x-request-id']).toBeTruthy();
    expect(stream.headers['content-length']).toBeUndefined();
    await stream.waitFor(() => stream.blocks.length >= 1, 'the first block', 2000);
    expect(stream.blocks[0]).toEqual({ retry: '2000', comments: [] });

    const started = Date.now();
    const heartbeats = () => stream.blocks.filter((b) => b.comments.includes('hb'));
    await stream.waitFor(() => heartbeats().length >= 2, 'two heartbeats', 5000);
    // Two beats of a 1 s period take a second at least (the first comes one period after the start).
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    for (const beat of heartbeats()) expect(beat).toEqual({ comments: ['hb'] });

    // HEAD answers the same head and ends (a body-less stream would never end).
    const head = await fetch(`${api.url}/events`, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
    expect([head.status, head.headers.get('content-type')]).toEqual([200, 'text/event-stream; charset=utf-8']);
  });

  it('carries one workflow on /workflows/:id/events, and only matching events with ?type= and ?status=', async () => {
    const [typeA, typeB] = [randomId('ta'), randomId('tb')];
    const [one, two, other] = [randomId('one'), randomId('two'), randomId('other')];
    const byId = await open(`/workflows/${one}/events`);
    const byType = await open(`/events?type=${typeA}`);
    const byTypeAndStatus = await open(`/events?type=${typeA}&status=s2`);
    const byStatus = await open('/events?status=s1');
    const all = await open('/events');

    const writer = new EventWriter();
    await Promise.all([writer.lifecycle([api.url], one, typeA, 6), writer.lifecycle([api.url], two, typeA, 6), writer.lifecycle([api.url], other, typeB, 6)]);
    // Last writes for every filter: once each stream has its last event, anything it must not carry would be in too.
    await writer.create(api.url, one, typeA, 's1');
    await writer.create(api.url, two, typeA, 's2');

    const mine = (e: ExpectedEvent) => [one, two, other].includes(e.id);
    const cases: [SseClient, (e: ExpectedEvent) => boolean][] = [
      [byId, (e) => e.id === one],
      [byType, (e) => e.type === typeA],
      [byTypeAndStatus, (e) => e.type === typeA && e.status === 's2'],
      [byStatus, (e) => mine(e) && e.status === 's1'],
      [all, mine],
    ];
    for (const [stream, wanted] of cases) {
      const expected = writer.expected.filter(wanted);
      await stream.waitFor(() => hasAll(stream.events.filter((e) => [one, two, other].includes(e.id)), expected), `${expected.length} events`);
    }
    expectSameEvents(byId.events, writer.expected.filter((e) => e.id === one));
    expectSameEvents(byType.events, writer.expected.filter((e) => e.type === typeA));
    expectSameEvents(byTypeAndStatus.events, writer.expected.filter((e) => e.type === typeA && e.status === 's2'));
    // Other tests write too (other types, other statuses): /events?status=s1 and /events carry theirs, never others'.
    expect(byStatus.events.every((e) => e.status === 's1')).toBe(true);
    expectSameEvents(byStatus.events.filter((e) => [one, two, other].includes(e.id)), writer.expected.filter((e) => e.status === 's1'));
    expectSameEvents(all.events.filter((e) => [one, two, other].includes(e.id)), writer.expected);
    // One workflow's stream is in write order, all of it.
    expect(byId.events.map((e) => e.version)).toEqual(writer.expected.filter((e) => e.id === one).map((e) => e.version));
  });

  it('resumes after ?after=, or after Last-Event-ID when both are given (the header wins)', async () => {
    const type = randomId('type');
    const id = randomId();
    const live = await open(`/events?type=${type}`);
    const writer = new EventWriter();
    await writer.lifecycle([api.url], id, type, 4);
    await live.waitFor(() => hasAll(live.events, writer.expected), 'every event');
    const ids = live.events.map((e) => e.eventId);
    expect(ids.length).toBe(6);

    const fromQuery = await open(`/events?type=${type}&after=${ids[1]}`);
    const fromHeader = await open(`/events?type=${type}&after=${ids[1]}`, ids[3]);
    const fromOneWorkflow = await open(`/workflows/${id}/events?after=${ids[0]}`);
    // The stream goes on live after the past: a new write arrives after it.
    await writer.create(api.url, id, type);
    const isNew = (e: { eventId: string }) => !ids.includes(e.eventId);
    for (const stream of [fromQuery, fromHeader, fromOneWorkflow]) await stream.waitForEvent(isNew, 'the new write');
    const newId = fromQuery.events.find(isNew)?.eventId as string;
    expect(fromQuery.events.map((e) => e.eventId)).toEqual([...ids.slice(2), newId]);
    expect(fromHeader.events.map((e) => e.eventId)).toEqual([...ids.slice(4), newId]);
    expect(fromOneWorkflow.events.map((e) => e.eventId)).toEqual([...ids.slice(1), newId]);
    // An empty Last-Event-ID is no resume point: ?after= applies.
    const emptyHeader = await open(`/events?type=${type}&after=${ids[4]}`, '');
    await emptyHeader.waitFor(() => emptyHeader.events.length >= 2, 'two events');
    expect(emptyHeader.events.map((e) => e.eventId)).toEqual([ids[5], newId]);
  });

  it('answers an event id from the future with a reset (no id), then goes on live', async () => {
    const type = randomId('type');
    const future = `${Date.now() + 3_600_000}-0-0`;
    const stream = await open(`/events?type=${type}`, future);
    expect(stream.status).toBe(200);
    const writer = new EventWriter();
    const id = randomId();
    await writer.create(api.url, id, type);
    await stream.waitForEvent((e) => e.id === id, 'the live write');
    const blocks = stream.blocks.filter((b) => b.comments.length === 0);
    expect(blocks[1]).toEqual({ event: 'reset', data: '{"reason":"unknown"}', comments: [] });
    expect(blocks[2]?.event).toBe('workflow');
  });

  it('answers bad input with a 400 problem and no stream', async () => {
    const cases: [path: string, lastEventId: string | undefined, detail: RegExp][] = [
      ['/events', 'not-an-id', /Last-Event-ID/],
      ['/events', '12-34', /Last-Event-ID/],
      ['/events?after=1-2-3-4', undefined, /after/],
      ['/events?colour=red', undefined, /unknown query parameter colour/],
      ['/events?type=a&type=b', undefined, /given once/],
      ['/events?type=%20bad', undefined, /type/],
      ['/events?status=.hidden', undefined, /status/],
      [`/workflows/${'x'.repeat(65)}/events`, undefined, /id/],
      [`/workflows/${randomId()}/events?type=t`, undefined, /unknown query parameter type/],
    ];
    for (const [path, lastEventId, detail] of cases) {
      const answer = await open(path, lastEventId);
      await answer.closed;
      expect([path, answer.status, answer.headers['content-type']]).toEqual([path, 400, PROBLEM]);
      const problem = JSON.parse(answer.body) as { type: string; detail: string };
      expect(problem.type).toBe('urn:workflow-store:problem:invalid-input');
      expect(problem.detail).toMatch(detail);
      expect(answer.blocks).toEqual([]);
    }
    // '?after=abc' with a valid header: the header wins, the query is not even looked at.
    const headerWins = await open('/events?after=abc', '1-2-3');
    expect(headerWins.status).toBe(200);
  });

  it('counts open streams and events sent in /metrics', async () => {
    const metric = async (name: string): Promise<number> => {
      const text = await (await fetch(`${api.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return Number(line?.split(' ')[1] ?? Number.NaN);
    };
    const type = randomId('type');
    const openBefore = await metric('sse_connections');
    const sentBefore = await metric('sse_events_sent_total');
    const stream = await open(`/events?type=${type}`);
    expect(await metric('sse_connections')).toBe(openBefore + 1);
    const writer = new EventWriter();
    await writer.lifecycle([api.url], randomId(), type, 1);
    await stream.waitFor(() => stream.events.length === 3, 'three events');
    expect(await metric('sse_events_sent_total')).toBeGreaterThanOrEqual(sentBefore + 3);
    stream.destroy();
    await stream.closed;
    // The server sees the close a moment later: poll the gauge until it drops (bounded).
    const deadline = Date.now() + 5000;
    while ((await metric('sse_connections')) !== openBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await metric('sse_connections')).toBe(openBefore);
  });

  it('documents the streams and the version routes in the OpenAPI document', async () => {
    type Operation = { parameters?: { name: string; in: string }[]; responses: Record<string, { content?: Record<string, unknown> }> };
    const doc = (await (await fetch(`${api.url}/docs-json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, unknown> };
    };
    for (const path of ['/events', '/workflows/{id}/events']) {
      const op = doc.paths[path]?.get;
      expect(Object.keys(op?.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
      expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '403', '501', '503']));
      const parameters = (op?.parameters ?? []).map((p) => `${p.in}:${p.name}`);
      expect(parameters).toEqual(expect.arrayContaining(['header:Last-Event-ID', 'query:after']));
    }
    expect((doc.paths['/events']?.get?.parameters ?? []).map((p) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(['query:type', 'query:status']));
    expect(doc.components.schemas.WorkflowEvent).toBeDefined();
    expect(Object.keys(doc.paths['/workflows/{id}/versions']?.get?.responses ?? {})).toEqual(expect.arrayContaining(['200', '404']));
    expect(Object.keys(doc.paths['/workflows/{id}/versions/{version}']?.get?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '404']));
  });
});
