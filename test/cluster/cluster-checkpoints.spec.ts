/**
 * LangGraph threads (WorkflowCheckpointSaver) on a real 3-master Redis Cluster: the document-review graph of
 * test/langgraph/graph-worker.mjs (Send fan-out, interrupt, resume) runs on six threads at once, two per master.
 *
 * - After every put and putWrites: no key under the test's prefix lacks a TTL on any master; every key of the
 *   thread (record, kept versions, checkpoints, their order) is on the master that owns the thread's slot, and in
 *   that one slot (CLUSTER KEYSLOT), with the record's expiry (PEXPIRETIME, read in one MULTI on that master).
 * - getTuple, list (one thread, and every thread) and deleteThread work across masters; a deleted thread leaves no
 *   key on any master, the others stay whole.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunnableConfig } from '@langchain/core/runnables';
import { Command } from '@langchain/langgraph';
import type { BaseCheckpointSaver, CheckpointTuple } from '@langchain/langgraph-checkpoint';
import { Redis } from 'ioredis';
import { WorkflowCheckpointSaver, type ValidatingWorkflowStore } from '#workflow-store';
import { CheckedSaver } from '../langgraph/checked-saver.js';
import { keysWithoutTtl } from '../support/key-ttl.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { dropClient } from '../support/redis-client.js';
import { RedisCluster, type ClusterNodeInfo } from '../support/redis-cluster.js';
import { layoutOf, slotOfWorkflow } from '../support/redis-layout.js';

const THREADS_PER_MASTER = 2;
/** A variable, so TypeScript does not look for declarations of the plain JS module; typed by GraphModule below. */
const GRAPH_MODULE = '../langgraph/graph-worker.mjs';

interface ReviewGraph {
  invoke(input: unknown, config: RunnableConfig): Promise<Record<string, unknown>>;
}
interface GraphModule {
  buildReviewGraph(checkpointer: BaseCheckpointSaver): ReviewGraph;
}

interface Master {
  node: ClusterNodeInfo;
  client: Redis;
}

async function scanAll(client: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

describe('LangGraph threads on a 3-master Redis Cluster', () => {
  let cluster: RedisCluster | undefined;
  let store: ValidatingWorkflowStore | undefined;
  let masters: Master[] = [];
  let graphModule: GraphModule;
  const prefix = randomPrefix();
  const layout = layoutOf(prefix);
  const threads: string[] = [];

  beforeAll(async () => {
    graphModule = (await import(GRAPH_MODULE)) as GraphModule;
    cluster = await RedisCluster.start({ masters: 3, appendonly: false });
    store = await cluster.openStore(prefix, {
      WORKFLOW_STATE_TTL: '60',
      REDIS_COMMAND_TIMEOUT_MS: '5000',
      REDIS_PURGE_INTERVAL_MS: '0',
      LEASE_SWEEP_INTERVAL_MS: '0',
      REDIS_PERSISTENCE_CHECK: 'off',
    });
    for (const node of await cluster.masters()) {
      const client = new Redis({ port: node.server.port, host: '127.0.0.1', lazyConnect: true });
      masters.push({ node, client });
      await client.connect();
    }
    // Threads placed so that each master holds two of them.
    const perMaster = new Map<string, number>();
    while (threads.length < masters.length * THREADS_PER_MASTER) {
      const id = randomId('cthread');
      const owner = masterOf(slotOfWorkflow(prefix, id));
      if ((perMaster.get(owner.node.id) ?? 0) >= THREADS_PER_MASTER) continue;
      perMaster.set(owner.node.id, (perMaster.get(owner.node.id) ?? 0) + 1);
      threads.push(id);
    }
  }, 60_000);

  afterAll(async () => {
    try {
      await store?.close();
    } finally {
      for (const { client } of masters) dropClient(client);
      masters = [];
      await cluster?.stop();
    }
  });

  function masterOf(slot: number): Master {
    const owner = masters.find(({ node }) => node.slots.some(([from, to]) => slot >= from && slot <= to));
    if (!owner) throw new Error(`no master serves slot ${slot}`);
    return owner;
  }

  const kindOf = (key: string, thread: string): string => key.slice(key.lastIndexOf('}:') + 2, key.length - thread.length - 1);

  /** Every key naming `thread`, per master port. */
  async function threadKeysByMaster(thread: string): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>();
    for (const { node, client } of masters) {
      const keys = (await scanAll(client, `${prefix}:*`)).filter((key) => key.endsWith(`:${thread}`) || key.includes(`:${thread}:`));
      if (keys.length > 0) out.set(node.server.port, keys.sort());
    }
    return out;
  }

  async function check(thread: string, label: string): Promise<string[]> {
    const problems: string[] = [];
    const at = `${thread} ${label}`;
    for (const { node, client } of masters) {
      for (const key of await keysWithoutTtl(client, prefix)) problems.push(`${at}: ${key} on ${node.server.port} has no TTL`);
    }
    const slot = slotOfWorkflow(prefix, thread);
    const owner = masterOf(slot);
    const byMaster = await threadKeysByMaster(thread);
    const elsewhere = [...byMaster.keys()].filter((port) => port !== owner.node.server.port);
    if (elsewhere.length > 0) problems.push(`${at}: keys of the thread on ${elsewhere.join(', ')}, not only on its slot's master ${owner.node.server.port}`);
    const keys = byMaster.get(owner.node.server.port) ?? [];
    for (const key of keys) {
      const keySlot = Number(await owner.client.call('CLUSTER', 'KEYSLOT', key));
      if (keySlot !== slot) problems.push(`${at}: ${key} is in slot ${keySlot}, the thread's record in ${slot}`);
    }
    const expected = layout.forWorkflow(thread);
    const names = [expected.record, expected.history, expected.checkpoints, expected.checkpointOrder];
    const replies = (await owner.client.multi().pexpiretime(names[0] as string).pexpiretime(names[1] as string).pexpiretime(names[2] as string).pexpiretime(names[3] as string).exec()) ?? [];
    const [record, history, checkpoints, order] = replies.map(([error, value]) => (error ? String(error) : Number(value)));
    if (typeof record !== 'number' || record <= 0) problems.push(`${at}: the record's PEXPIRETIME is ${String(record)}`);
    if (checkpoints !== record) problems.push(`${at}: checkpoints expire at ${String(checkpoints)}, the record at ${String(record)}`);
    if (order !== record) problems.push(`${at}: checkpoint order expires at ${String(order)}, the record at ${String(record)}`);
    if (history !== -2 && history !== record) problems.push(`${at}: history expires at ${String(history)}, the record at ${String(record)}`);
    const unexpected = keys.filter((key) => !names.includes(key));
    if (unexpected.length > 0) problems.push(`${at}: unexpected keys of the thread: ${unexpected.join(', ')}`);
    return problems;
  }

  it('six threads run the graph at once: after every write every key has a TTL, a thread is one slot on one master with one expiry', async () => {
    const s = store as ValidatingWorkflowStore;
    const saver = new CheckedSaver(s, { ttlSeconds: 30 }, check);
    const graph = graphModule.buildReviewGraph(saver);
    const finals = await Promise.all(
      threads.map(async (thread, i) => {
        const config: RunnableConfig = { configurable: { thread_id: thread } };
        const first = await graph.invoke({ docId: `doc-${i}`, text: `Invoice ${i} amount due 10\fPage two of ${i}\fSigned` }, config);
        expect(first.__interrupt__).toHaveLength(1);
        return graph.invoke(new Command({ resume: i % 2 === 0 ? 'approved' : 'rejected' }), config);
      }),
    );
    expect(finals.map((f) => f.approved)).toEqual(threads.map((_, i) => i % 2 === 0));
    expect(saver.problems).toEqual([]);
    // Every thread's writes were checked, every write path among them.
    for (const thread of threads) {
      const labels = saver.labels(thread);
      expect(labels.filter((l) => l.includes('put ('))).toHaveLength(6);
      expect(labels.some((l) => l.includes('__interrupt__'))).toBe(true);
      expect(labels.some((l) => l.includes('__resume__'))).toBe(true);
    }
    // And each thread's four keys are where its slot is.
    const ports = new Set<number>();
    for (const thread of threads) {
      const byMaster = await threadKeysByMaster(thread);
      const owner = masterOf(slotOfWorkflow(prefix, thread));
      expect([...byMaster.keys()]).toEqual([owner.node.server.port]);
      expect((byMaster.get(owner.node.server.port) ?? []).map((key) => kindOf(key, thread)).sort()).toEqual(['g', 'h', 'w', 'y']);
      ports.add(owner.node.server.port);
    }
    expect(ports.size).toBe(3);
  });

  it('getTuple, list (a thread, every thread) and deleteThread work across masters', async () => {
    const s = store as ValidatingWorkflowStore;
    const saver = new WorkflowCheckpointSaver(s, { ttlSeconds: 30 });
    const collect = async (config: RunnableConfig): Promise<CheckpointTuple[]> => {
      const out: CheckpointTuple[] = [];
      for await (const tuple of saver.list(config)) out.push(tuple);
      return out;
    };

    for (const [i, thread] of threads.entries()) {
      const config: RunnableConfig = { configurable: { thread_id: thread } };
      const latest = await saver.getTuple(config);
      expect(latest?.metadata?.step).toBe(4);
      expect(latest?.checkpoint.channel_values).toMatchObject({ docId: `doc-${i}`, approved: i % 2 === 0 });
      const listed = await collect(config);
      expect(listed.map((t) => t.metadata?.step)).toEqual([4, 3, 2, 1, 0, -1]);
      expect(listed.every((t) => t.config.configurable?.thread_id === thread)).toBe(true);
      expect((await s.get(thread))?.type).toBe('langgraph-thread');
    }
    const everything = await collect({ configurable: {} });
    expect(everything).toHaveLength(threads.length * 6);
    expect(new Set(everything.map((t) => t.config.configurable?.thread_id as string))).toEqual(new Set(threads));

    // The check itself sees a key of a thread without a TTL; a touch gives it the record's expiry again.
    const tampered = threads[0] as string;
    const tamperedKeys = layout.forWorkflow(tampered);
    await masterOf(slotOfWorkflow(prefix, tampered)).client.persist(tamperedKeys.checkpoints);
    expect(await check(tampered, 'tampered')).toEqual([
      `${tampered} tampered: ${tamperedKeys.checkpoints} on ${masterOf(slotOfWorkflow(prefix, tampered)).node.server.port} has no TTL`,
      expect.stringMatching(/ tampered: checkpoints expire at -1, the record at \d+$/),
    ]);
    await s.touch(tampered);
    expect(await check(tampered, 'touched')).toEqual([]);

    // Delete one thread of each master: nothing of it is left on any master; the others stay whole.
    const deleted = new Set<string>();
    for (const { node } of masters) {
      const victim = threads.find((thread) => masterOf(slotOfWorkflow(prefix, thread)).node.id === node.id) as string;
      await saver.deleteThread(victim);
      deleted.add(victim);
    }
    for (const thread of threads) {
      const config: RunnableConfig = { configurable: { thread_id: thread } };
      if (deleted.has(thread)) {
        expect(await saver.getTuple(config)).toBeUndefined();
        expect(await collect(config)).toEqual([]);
        expect(await s.get(thread)).toBeNull();
        expect(await threadKeysByMaster(thread)).toEqual(new Map());
      } else {
        expect((await saver.getTuple(config))?.metadata?.step).toBe(4);
        expect(await collect(config)).toHaveLength(6);
        expect(await check(thread, 'after the others were deleted')).toEqual([]);
      }
    }
    const remaining = await collect({ configurable: {} });
    expect(new Set(remaining.map((t) => t.config.configurable?.thread_id as string))).toEqual(new Set(threads.filter((t) => !deleted.has(t))));
    expect(remaining).toHaveLength((threads.length - deleted.size) * 6);
  });
});
