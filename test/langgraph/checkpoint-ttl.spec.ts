/**
 * TTL of LangGraph threads on Redis (WorkflowCheckpointSaver over a store on a real redis-server): a thread is its
 * workflow record (`:w:`), its kept versions (`:h:`), its checkpoints (`:g:`, a hash) and their order (`:y:`, a
 * zset), all under one hash tag, and they all expire exactly with the record.
 *
 * - A graph run (Send fan-out, interrupt, resume) with `ttlSeconds: 2`: after every put and putWrites (all three
 *   write paths: a checkpoint, plain pending writes, the interrupt's writes) no key under the test's prefix lacks a
 *   TTL and every key of the thread has the record's PEXPIRETIME; once that time has passed nothing of the thread
 *   is left and getTuple finds nothing.
 * - Sliding: a put restarts the TTL of every key of the thread, values stored by older checkpoints that the latest
 *   still refers to included (checkpoint 1 stores channels a and b; more than half the TTL later checkpoint 2
 *   changes only b; after checkpoint 1's original expiry the latest still reads a's value).
 * - store.touch (and refreshOnRead) extends the checkpoint keys too; store.delete removes them; a new life of the
 *   id (create, or a first put) does not see the old checkpoints.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunnableConfig } from '@langchain/core/runnables';
import { Command, type StateSnapshot } from '@langchain/langgraph';
import {
  emptyCheckpoint,
  type BaseCheckpointSaver,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointTuple,
} from '@langchain/langgraph-checkpoint';
import { Redis } from 'ioredis';
import {
  createWorkflowStore,
  loadWorkflowStoreConfig,
  WorkflowCheckpointSaver,
  type ValidatingWorkflowStore,
} from '#workflow-store';
import { keysWithoutTtl } from '../support/key-ttl.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { dropClient } from '../support/redis-client.js';
import { layoutOf } from '../support/redis-layout.js';
import { RedisServer } from '../support/redis-server.js';
import { CheckedSaver, keysOfThread } from './checked-saver.js';

const TTL_SECONDS = 2;
const TTL_MS = TTL_SECONDS * 1000;
/** A variable, so TypeScript does not look for declarations of the plain JS module; typed by GraphModule below. */
const GRAPH_MODULE = './graph-worker.mjs';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

interface ReviewGraph {
  invoke(input: unknown, config: RunnableConfig): Promise<Record<string, unknown>>;
  getState(config: RunnableConfig): Promise<StateSnapshot>;
}
interface GraphModule {
  buildReviewGraph(checkpointer: BaseCheckpointSaver): ReviewGraph;
}

/** The four keys of a thread, named as the store names them. */
interface ThreadKeys {
  record: string;
  history: string;
  checkpoints: string;
  checkpointOrder: string;
}

function threadKeys(prefix: string, thread: string): ThreadKeys {
  const { record, history, checkpoints, checkpointOrder } = layoutOf(prefix).forWorkflow(thread);
  return { record, history, checkpoints, checkpointOrder };
}

/** PEXPIRETIME of the thread's keys, read in one MULTI so no write lands between them (-2: absent, -1: no TTL). */
async function expiriesOf(client: Redis, keys: ThreadKeys): Promise<{ record: number; history: number; checkpoints: number; checkpointOrder: number }> {
  const replies = await client.multi().pexpiretime(keys.record).pexpiretime(keys.history).pexpiretime(keys.checkpoints).pexpiretime(keys.checkpointOrder).exec();
  const values = (replies ?? []).map(([error, value]) => {
    if (error) throw error;
    return Number(value);
  });
  const [record, history, checkpoints, checkpointOrder] = values as [number, number, number, number];
  return { record, history, checkpoints, checkpointOrder };
}

/**
 * What is wrong with the TTLs right now: keys under the prefix without one; keys of the thread whose expiry is not
 * the record's (the history may be absent: a thread written once has no earlier version).
 */
async function ttlProblems(client: Redis, prefix: string, thread: string, label: string): Promise<string[]> {
  const problems = (await keysWithoutTtl(client, prefix)).map((key) => `${label}: ${key} has no TTL`);
  const e = await expiriesOf(client, threadKeys(prefix, thread));
  if (e.record <= 0) problems.push(`${label}: the record's PEXPIRETIME is ${e.record}`);
  if (e.checkpoints !== e.record) problems.push(`${label}: checkpoints expire at ${e.checkpoints}, the record at ${e.record}`);
  if (e.checkpointOrder !== e.record) problems.push(`${label}: checkpoint order expires at ${e.checkpointOrder}, the record at ${e.record}`);
  if (e.history !== -2 && e.history !== e.record) problems.push(`${label}: history expires at ${e.history}, the record at ${e.record}`);
  return problems;
}



let sequence = 0;
/** Checkpoint ids in the order they are made (the saver orders a thread's checkpoints by id, as uuid6 ids sort by time). */
function nextCheckpointId(): string {
  sequence += 1;
  return `1f1${sequence.toString(16).padStart(5, '0')}-0000-6000-8000-${randomBytes(6).toString('hex')}`;
}

function checkpoint(values: Record<string, unknown>, versions: Record<string, number>): Checkpoint {
  return { ...emptyCheckpoint(), id: nextCheckpointId(), ts: new Date().toISOString(), channel_values: values, channel_versions: versions };
}

const metadata = (step: number): CheckpointMetadata => ({ source: step < 0 ? 'input' : 'loop', step, parents: {} });

describe('TTL of a LangGraph thread on Redis: every key of it expires exactly with its workflow', () => {
  let redis: RedisServer | undefined;
  let admin: Redis;
  let store: ValidatingWorkflowStore | undefined;
  let graphModule: GraphModule;
  const prefix = randomPrefix();

  beforeAll(async () => {
    graphModule = (await import(GRAPH_MODULE)) as GraphModule;
    redis = await RedisServer.start({ appendonly: false });
    admin = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true });
    await admin.connect();
    const env = {
      USE_REDIS: 'true',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      WORKFLOW_STATE_TTL: '600',
      REDIS_PURGE_INTERVAL_MS: '0',
      LEASE_SWEEP_INTERVAL_MS: '0',
      REDIS_PERSISTENCE_CHECK: 'off',
      REDIS_COMMAND_TIMEOUT_MS: '5000',
    };
    store = createWorkflowStore(loadWorkflowStoreConfig(env), quietLogger());
    await store.connect();
  });

  afterAll(async () => {
    try {
      await store?.close();
    } finally {
      if (admin) dropClient(admin);
      await redis?.stop();
    }
  });

  const check = (thread: string, label: string): Promise<string[]> => ttlProblems(admin, prefix, thread, label);

  it(`a graph run with ttlSeconds ${TTL_SECONDS}: every write leaves every key with a TTL, the thread's keys at the record's expiry; then nothing is left`, async () => {
    const s = store as ValidatingWorkflowStore;
    const thread = randomId('ttl-graph');
    const config: RunnableConfig = { configurable: { thread_id: thread } };
    const saver = new CheckedSaver(s, { ttlSeconds: TTL_SECONDS }, check);
    const graph = graphModule.buildReviewGraph(saver);

    const interrupted = await graph.invoke({ docId: 'd-1', text: 'Invoice 1 amount due 5\fGeneral terms\fSigned here' }, config);
    expect(interrupted.__interrupt__).toHaveLength(1);
    const done = await graph.invoke(new Command({ resume: 'approved' }), config);
    expect(done.approved).toBe(true);

    expect(saver.problems).toEqual([]);
    // Every write path was checked: checkpoints (6), plain pending writes, the interrupt's writes, the resume's.
    expect(saver.labels().filter((l) => l.startsWith('put ('))).toHaveLength(6);
    expect(saver.labels().some((l) => l.includes('__interrupt__'))).toBe(true);
    expect(saver.labels().some((l) => l.includes('__resume__'))).toBe(true);
    expect(saver.labels().filter((l) => l.startsWith('putWrites') && !l.includes('__interrupt__')).length).toBeGreaterThanOrEqual(5);

    const keys = threadKeys(prefix, thread);
    expect(await keysOfThread(admin, prefix, thread)).toEqual(Object.values(keys).sort());
    const e = await expiriesOf(admin, keys);
    expect(e).toEqual({ record: e.record, history: e.record, checkpoints: e.record, checkpointOrder: e.record });
    const workflow = await s.get(thread);
    expect({ ttlSeconds: workflow?.ttlSeconds, expiresAt: Date.parse(workflow?.expiresAt ?? '') }).toEqual({ ttlSeconds: TTL_SECONDS, expiresAt: e.record });
    expect(e.record - Date.now()).toBeLessThanOrEqual(TTL_MS);

    await sleep(e.record - Date.now() + 100);
    const left = await Promise.all(Object.values(keys).map((key) => admin.exists(key)));
    expect(left).toEqual([0, 0, 0, 0]);
    expect(await keysOfThread(admin, prefix, thread)).toEqual([]);
    expect(await saver.getTuple(config)).toBeUndefined();
    const listed: CheckpointTuple[] = [];
    for await (const tuple of saver.list(config)) listed.push(tuple);
    expect(listed).toEqual([]);
    expect(await s.get(thread)).toBeNull();
    expect((await graph.getState(config)).values).toEqual({});
    expect(await keysWithoutTtl(admin, prefix)).toEqual([]);
  });

  it('a put restarts the TTL of every key of the thread, values older checkpoints stored and the latest refers to included', async () => {
    const s = store as ValidatingWorkflowStore;
    const saver = new WorkflowCheckpointSaver(s, { ttlSeconds: TTL_SECONDS });
    const thread = randomId('ttl-slide');
    const keys = threadKeys(prefix, thread);
    const root: RunnableConfig = { configurable: { thread_id: thread, checkpoint_ns: '' } };

    const first = checkpoint({ a: 'alpha', b: 'beta-1' }, { a: 1, b: 1 });
    const firstConfig = await saver.put(root, first, metadata(-1), { a: 1, b: 1 });
    await saver.putWrites(firstConfig, [['b', 'pending-b']], 'task-1');
    expect(await check(thread, 'checkpoint 1')).toEqual([]);
    const firstExpiry = (await expiriesOf(admin, keys)).record;

    // More than half the TTL later: checkpoint 2 changes only b; a stays the value checkpoint 1 stored.
    await sleep(firstExpiry - TTL_MS + 1200 - Date.now());
    const second = checkpoint({ a: 'alpha', b: 'beta-2' }, { a: 1, b: 2 });
    await saver.put(firstConfig, second, metadata(0), { b: 2 });
    expect(await check(thread, 'checkpoint 2')).toEqual([]);
    const secondExpiry = (await expiriesOf(admin, keys)).record;
    expect(secondExpiry - firstExpiry).toBeGreaterThanOrEqual(1000);

    // Past checkpoint 1's original expiry: everything is still there, a's value included.
    await sleep(firstExpiry + 200 - Date.now());
    expect(Date.now()).toBeLessThan(secondExpiry);
    const latest = await saver.getTuple(root);
    expect({ id: latest?.checkpoint.id, values: latest?.checkpoint.channel_values, parent: latest?.parentConfig?.configurable?.checkpoint_id }).toEqual({
      id: second.id,
      values: { a: 'alpha', b: 'beta-2' },
      parent: first.id,
    });
    const older = await saver.getTuple(firstConfig);
    expect({ values: older?.checkpoint.channel_values, writes: older?.pendingWrites }).toEqual({
      values: { a: 'alpha', b: 'beta-1' },
      writes: [['task-1', 'b', 'pending-b']],
    });
    expect(await check(thread, 'after checkpoint 1 expired')).toEqual([]);

    // And once checkpoint 2's expiry has passed, nothing of the thread is left.
    await sleep(secondExpiry + 100 - Date.now());
    expect(await keysOfThread(admin, prefix, thread)).toEqual([]);
    expect(await saver.getTuple(root)).toBeUndefined();
  });

  it('store.touch (and refreshOnRead) extends the checkpoint keys; store.delete removes them; a new life of the id does not see the old checkpoints', async () => {
    const s = store as ValidatingWorkflowStore;
    const saver = new WorkflowCheckpointSaver(s, { ttlSeconds: TTL_SECONDS });
    const thread = randomId('ttl-touch');
    const keys = threadKeys(prefix, thread);
    const root: RunnableConfig = { configurable: { thread_id: thread, checkpoint_ns: '' } };
    const listIds = async (): Promise<string[]> => {
      const ids: string[] = [];
      for await (const tuple of saver.list(root)) ids.push(tuple.checkpoint.id);
      return ids;
    };

    const first = checkpoint({ a: 'one' }, { a: 1 });
    const firstConfig = await saver.put(root, first, metadata(-1), { a: 1 });
    const second = checkpoint({ a: 'two' }, { a: 2 });
    const secondConfig = await saver.put(firstConfig, second, metadata(0), { a: 2 });
    await saver.putWrites(secondConfig, [['a', 'w']], 'task-1');
    const written = await expiriesOf(admin, keys);

    // touch, half a TTL later: every key follows the record.
    await sleep(written.record - TTL_MS + 1000 - Date.now());
    const touched = await s.touch(thread);
    const afterTouch = await expiriesOf(admin, keys);
    expect(afterTouch).toEqual({ record: Date.parse(touched.expiresAt), history: afterTouch.record, checkpoints: afterTouch.record, checkpointOrder: afterTouch.record });
    expect(afterTouch.record - written.record).toBeGreaterThanOrEqual(900);
    expect(await check(thread, 'touch')).toEqual([]);

    await sleep(written.record + 200 - Date.now());
    expect((await saver.getTuple(root))?.checkpoint.channel_values).toEqual({ a: 'two' });
    expect(await listIds()).toEqual([second.id, first.id]);

    // refreshOnRead: a read restarts the TTL of every key of the thread too.
    const refreshing = new WorkflowCheckpointSaver(s, { ttlSeconds: TTL_SECONDS, refreshOnRead: true });
    await sleep(100);
    expect((await refreshing.getTuple(root))?.pendingWrites).toEqual([['task-1', 'a', 'w']]);
    const afterRead = await expiriesOf(admin, keys);
    expect(afterRead.record).toBeGreaterThan(afterTouch.record);
    expect(afterRead).toEqual({ record: afterRead.record, history: afterRead.record, checkpoints: afterRead.record, checkpointOrder: afterRead.record });

    // A touch with a longer TTL: the same for every key.
    await s.touch(thread, { ttlSeconds: 30 });
    const longer = await expiriesOf(admin, keys);
    expect(longer.record - Date.now()).toBeGreaterThan(25_000);
    expect(longer).toEqual({ record: longer.record, history: longer.record, checkpoints: longer.record, checkpointOrder: longer.record });

    // delete: the checkpoint keys go with the record.
    await s.delete(thread);
    expect(await Promise.all(Object.values(keys).map((key) => admin.exists(key)))).toEqual([0, 0, 0, 0]);
    expect(await saver.getTuple(root)).toBeUndefined();
    expect(await listIds()).toEqual([]);

    // A new life created under the same id starts without checkpoints...
    await s.create({ id: thread, type: 'langgraph-thread', state: {} });
    expect(await saver.getTuple(root)).toBeUndefined();
    expect(await saver.getTuple(secondConfig)).toBeUndefined();
    expect(await listIds()).toEqual([]);
    const third = checkpoint({ a: 'three' }, { a: 1 });
    await saver.put(root, third, metadata(-1), { a: 1 });
    expect(await listIds()).toEqual([third.id]);
    expect(await check(thread, 'new life (create)')).toEqual([]);

    // ... and so does one a first put starts after a delete.
    await s.delete(thread);
    const fourth = checkpoint({ a: 'four' }, { a: 1 });
    await saver.put(root, fourth, metadata(-1), { a: 1 });
    expect(await listIds()).toEqual([fourth.id]);
    expect(await saver.getTuple({ configurable: { thread_id: thread, checkpoint_ns: '', checkpoint_id: third.id } })).toBeUndefined();
    expect((await saver.getTuple(root))?.checkpoint.channel_values).toEqual({ a: 'four' });
    expect(await check(thread, 'new life (put)')).toEqual([]);

    // The check itself sees a key of the thread without a TTL, or with another expiry than the record's.
    await admin.persist(keys.checkpoints);
    await admin.pexpireat(keys.checkpointOrder, Date.now() + 60_000);
    expect(await check(thread, 'tampered')).toEqual([
      `tampered: ${keys.checkpoints} has no TTL`,
      expect.stringMatching(/^tampered: checkpoints expire at -1, the record at \d+$/),
      expect.stringMatching(/^tampered: checkpoint order expires at \d+, the record at \d+$/),
    ]);
    await saver.deleteThread(thread);
    expect(await keysOfThread(admin, prefix, thread)).toEqual([]);
  });
});
