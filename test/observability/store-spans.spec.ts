/**
 * The core's spans in process, with an in-memory exporter: every store operation is a span (tenant, id, operation;
 * never the state), the Redis commands it sends are its children (ioredis 6 diagnostics channels), refusals are not
 * errors, and Redis commands sent outside any span make no span.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { context, propagation, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { Redis } from 'ioredis';
import { createWorkflowStore, loadWorkflowStoreConfig, traceRedisCommands, VersionConflictError, type ValidatingWorkflowStore } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';

const STATE_MARKER = 'never-in-a-span-7f3a';
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = trace.getTracer('test');
let stopRedisTracing: () => void;
let redis: RedisServer;

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
const inSpan = <T>(name: string, fn: () => Promise<T>): Promise<{ result: T; spanId: string }> =>
  tracer.startActiveSpan(name, async (span) => {
    try {
      return { result: await fn(), spanId: span.spanContext().spanId };
    } finally {
      span.end();
    }
  });

beforeAll(async () => {
  provider.register();
  stopRedisTracing = traceRedisCommands();
  redis = await RedisServer.start();
});

afterAll(async () => {
  stopRedisTracing?.();
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
  await redis?.stop();
});

describe('store operation spans over Redis', () => {
  let store: ValidatingWorkflowStore;
  beforeAll(async () => {
    store = createWorkflowStore(loadWorkflowStoreConfig({ USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: randomPrefix() }), quietLogger());
    await store.connect();
  });
  afterAll(async () => {
    await store?.close();
  });

  it('an operation is a span under the caller; its Redis commands are spans under it', async () => {
    exporter.reset();
    const { result: created, spanId: callerId } = await inSpan('caller', () => store.forTenant('acme').create({ type: 't', state: { note: STATE_MARKER } }));
    const spans = exporter.getFinishedSpans();
    const create = spans.find((s) => s.name === 'workflow-store create');
    expect(create).toBeDefined();
    expect(parentOf(create!)).toBe(callerId);
    expect(create!.attributes).toEqual({
      'workflow_store.operation': 'create',
      'workflow_store.tenant': 'acme',
      'workflow_store.workflow_id': created.id,
    });
    const commands = spans.filter((s) => s.instrumentationScope.name === 'workflow-store/ioredis');
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      expect(parentOf(command)).toBe(create!.spanContext().spanId);
      expect(command.attributes).toMatchObject({ 'db.system.name': 'redis', 'server.address': '127.0.0.1', 'server.port': redis.port });
    }
    expect(JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events]))).not.toContain(STATE_MARKER);
  });

  it('a refusal (version conflict) is recorded by its code, not as an error; the operation still fails', async () => {
    const created = await store.create({ type: 't', state: {} });
    exporter.reset();
    await expect(store.update(created.id, { state: { a: 1 } }, { expectedVersion: 7 })).rejects.toBeInstanceOf(VersionConflictError);
    const update = exporter.getFinishedSpans().find((s) => s.name === 'workflow-store update');
    expect(update?.attributes).toMatchObject({ 'workflow_store.tenant': 'default', 'workflow_store.workflow_id': created.id, 'workflow_store.error_code': 'version-conflict' });
    expect(update?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a Redis command sent outside any span, or in the context of an ended one, makes no span', async () => {
    const client = new Redis(redis.url, { lazyConnect: true });
    await client.connect();
    const ended = tracer.startSpan('ended');
    ended.end();
    exporter.reset();
    try {
      expect(await client.ping()).toBe('PONG');
      // A loop started inside an operation keeps its context after the operation's span has ended.
      expect(await context.with(trace.setSpan(context.active(), ended), () => client.ping())).toBe('PONG');
    } finally {
      client.disconnect();
    }
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('asks for an SDK on every call: none registered, no span and the same answers; registered again, spans again', async () => {
    const created = await store.create({ type: 't', state: { n: 1 } });
    trace.disable();
    try {
      exporter.reset();
      expect(await store.get(created.id)).toMatchObject({ id: created.id, version: 1, state: { n: 1 } });
      await expect(store.update(created.id, { state: { n: 2 } }, { expectedVersion: 7 })).rejects.toBeInstanceOf(VersionConflictError);
      expect(exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === 'workflow-store')).toEqual([]);
    } finally {
      trace.setGlobalTracerProvider(provider);
    }
    exporter.reset();
    await store.get(created.id);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toContain('workflow-store get');
  });
});

describe('store operation spans over memory', () => {
  it('the same spans, without Redis children', async () => {
    const store = createWorkflowStore(loadWorkflowStoreConfig({ USE_REDIS: 'false' }), quietLogger());
    await store.connect();
    try {
      exporter.reset();
      const created = await store.create({ type: 't', state: {} });
      expect(await store.get(created.id)).not.toBeNull();
      expect(exporter.getFinishedSpans().map((s) => [s.name, s.attributes['workflow_store.workflow_id']])).toEqual([
        ['workflow-store create', created.id],
        ['workflow-store get', created.id],
      ]);
    } finally {
      await store.close();
    }
  });
});
