/**
 * LangGraph threads are workflows (WorkflowCheckpointSaver over a WorkflowStore), as every backend must show them:
 * one suite run against each backend (checkpoint-threads.memory.spec.ts, checkpoint-threads.redis.spec.ts).
 *
 * - A thread's workflow: type `langgraph-thread` (or `threadType`), its state the summary of the latest root
 *   checkpoint (checkpointId, step, next from the `branch:to:<node>` channels not yet seen, source, updatedAt), a
 *   subgraph's checkpoint leaving it alone; status running / done / interrupted; each put a new version (history)
 *   and an event of the change feed; pending writes without an interrupt write no version.
 * - `store.list({ type })` lists threads; `saver.list` without thread id lists every thread of the store's tenant,
 *   and two tenants with the same thread id never see each other's checkpoints.
 * - A lease on the thread's workflow fences puts (and interrupts): without the token nothing is stored.
 * - Bad input gets clear errors and changes nothing; unknown threads: NotFoundError for writes, nothing to delete.
 *
 * Public API only. Every test works in a tenant of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunnableConfig } from '@langchain/core/runnables';
import {
  ERROR,
  INTERRUPT,
  TASKS,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointTuple,
} from '@langchain/langgraph-checkpoint';
import {
  DEFAULT_THREAD_TYPE,
  InvalidInputError,
  LeaseHeldError,
  LeaseLostError,
  NotFoundError,
  WorkflowCheckpointSaver,
  type ThreadSummary,
  type Workflow,
  type WorkflowStore,
} from '#workflow-store';
import { Collector, freshTenant, rejectsWith, uniq, type FeedStore } from './feed-support.js';

export interface ThreadsHarness {
  readonly name: string;
  /** A new connected store (Redis: a key prefix of its own) with `env` on top of the suite's settings. */
  makeStore(env?: Record<string, string>): Promise<FeedStore>;
}

/** WORKFLOW_MAX_TTL of the suite's store. */
const MAX_TTL = 86_400;

let idSequence = 0;
/** uuid6-shaped checkpoint ids that sort by creation, as LangGraph's do. */
function nextId(): string {
  idSequence += 1;
  return `1f000000-0000-6000-8000-${(Date.now() * 1000 + idSequence).toString(16).padStart(12, '0').slice(-12)}`;
}

interface CheckpointSpec {
  versions?: ChannelVersions;
  seen?: Record<string, ChannelVersions>;
  values?: Record<string, unknown>;
}

function checkpointOf(spec: CheckpointSpec = {}): Checkpoint {
  return {
    v: 4,
    id: nextId(),
    ts: new Date().toISOString(),
    channel_values: spec.values ?? {},
    channel_versions: spec.versions ?? {},
    versions_seen: spec.seen ?? {},
  };
}

function metadataOf(source: string, step: number): CheckpointMetadata {
  return { source, step, parents: {} } as CheckpointMetadata;
}

function config(thread: string, ns = '', checkpointId?: string, extra: Record<string, unknown> = {}): RunnableConfig {
  return { configurable: { thread_id: thread, checkpoint_ns: ns, ...(checkpointId === undefined ? {} : { checkpoint_id: checkpointId }), ...extra } };
}

async function collect(iterable: AsyncGenerator<CheckpointTuple>): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const tuple of iterable) out.push(tuple);
  return out;
}

function idsOf(tuples: readonly CheckpointTuple[]): string[] {
  return tuples.map((t) => `${t.config.configurable?.thread_id as string}/${t.config.configurable?.checkpoint_ns as string}/${t.config.configurable?.checkpoint_id as string}`);
}

function summaryOf(workflow: Workflow | null): ThreadSummary {
  if (!workflow) throw new Error('the thread has no workflow');
  return workflow.state as unknown as ThreadSummary;
}

/** A root checkpoint whose `branch:to:<node>` channels make `due` the nodes to run next (a trigger holding a value at an unseen version), and `ran` seen. */
function graphStep(due: readonly string[], ran: readonly string[], version: number): CheckpointSpec {
  const versions: ChannelVersions = { messages: version };
  const seen: Record<string, ChannelVersions> = {};
  const values: Record<string, unknown> = { messages: [`m${version}`] };
  for (const node of due) {
    versions[`branch:to:${node}`] = version;
    values[`branch:to:${node}`] = node;
  }
  for (const node of ran) {
    versions[`branch:to:${node}`] = version - 1;
    seen[node] = { [`branch:to:${node}`]: version - 1 };
  }
  return { versions, seen, values };
}

export function describeCheckpointThreadsContract(harness: ThreadsHarness): void {
  describe(`LangGraph threads as workflows: ${harness.name}`, () => {
    let store: FeedStore;
    const collectors: Collector[] = [];

    beforeAll(async () => {
      store = await harness.makeStore({ WORKFLOW_MAX_TTL: String(MAX_TTL), WORKFLOW_STATE_TTL: '600' });
    });

    afterAll(async () => {
      for (const collector of collectors.splice(0)) await collector.close();
      await store?.close();
    });

    function tenant(label = 'ct'): WorkflowStore {
      return store.forTenant(freshTenant(label));
    }

    async function watch(t: WorkflowStore, type = DEFAULT_THREAD_TYPE): Promise<Collector> {
      const feed = await Collector.open(t, { type }, undefined, `watch(${type})`);
      collectors.push(feed);
      return feed;
    }

    describe('a thread is a workflow', () => {
      it('its state summarises the latest root checkpoint, its status follows the graph, each put is a version and an event', async () => {
        const t = tenant();
        const feed = await watch(t);
        const saver = new WorkflowCheckpointSaver(t);
        const thread = uniq('thread');
        const statuses: string[] = [];
        const expectThread = async (summary: ThreadSummary, status: string, version: number): Promise<void> => {
          const workflow = await t.get(thread);
          expect({ type: workflow?.type, status: workflow?.status, version: workflow?.version }).toEqual({ type: DEFAULT_THREAD_TYPE, status, version });
          expect(summaryOf(workflow)).toEqual(summary);
          statuses.push(`v${version} ${status}`);
        };
        const summary = (c: Checkpoint, step: number, next: string[], source: string): ThreadSummary => ({ checkpointId: c.id, step, next, source, updatedAt: c.ts });

        // Input: the graph's start is due (its channel holds the input at a version nobody has seen).
        const c1 = checkpointOf({ versions: { __start__: 1 }, values: { __start__: { question: 'q' } } });
        await saver.put(config(thread), c1, metadataOf('input', -1), { __start__: 1 });
        await expectThread(summary(c1, -1, ['__start__'], 'input'), 'running', 1);

        // Start ran and triggered agent and tools (sorted); its consumed channel keeps its version, not its value.
        const c2 = checkpointOf({
          versions: { __start__: 1, messages: 2, 'branch:to:tools': 2, 'branch:to:agent': 2 },
          seen: { __start__: { __start__: 1 } },
          values: { messages: ['m'], 'branch:to:tools': 'tools', 'branch:to:agent': 'agent' },
        });
        await saver.put(config(thread, '', c1.id), c2, metadataOf('loop', 0), { messages: 2, 'branch:to:tools': 2, 'branch:to:agent': 2 });
        await expectThread(summary(c2, 0, ['agent', 'tools'], 'loop'), 'running', 2);

        // A subgraph's checkpoint: a new version of the workflow, its state and status untouched.
        const sub = checkpointOf({ versions: { 'branch:to:inner': 1 }, values: { 'branch:to:inner': 'inner' } });
        await saver.put(config(thread, 'tools:1'), sub, metadataOf('loop', 0), { 'branch:to:inner': 1 });
        await expectThread(summary(c2, 0, ['agent', 'tools'], 'loop'), 'running', 3);

        // Agent ran (saw its trigger at 2) and triggered itself again (3, unseen); tools ran (consumed, seen).
        const c3 = checkpointOf({
          versions: { __start__: 1, messages: 3, 'branch:to:tools': 2, 'branch:to:agent': 3 },
          seen: { __start__: { __start__: 1 }, agent: { 'branch:to:agent': 2 }, tools: { 'branch:to:tools': 2 } },
          values: { messages: ['m', 'n'], 'branch:to:agent': 'agent' },
        });
        await saver.put(config(thread, '', c2.id), c3, metadataOf('loop', 1), { messages: 3, 'branch:to:agent': 3 });
        await expectThread(summary(c3, 1, ['agent'], 'loop'), 'running', 4);

        // Nothing due: done.
        const c4 = checkpointOf({
          versions: { __start__: 1, messages: 4, 'branch:to:tools': 2, 'branch:to:agent': 3 },
          seen: { __start__: { __start__: 1 }, agent: { 'branch:to:agent': 3 }, tools: { 'branch:to:tools': 2 } },
          values: { messages: ['m', 'n', 'o'] },
        });
        await saver.put(config(thread, '', c3.id), c4, metadataOf('loop', 2), { messages: 4 });
        await expectThread(summary(c4, 2, [], 'loop'), 'done', 5);

        // Pending writes without an interrupt write no version; an interrupt in a subgraph neither.
        await saver.putWrites(config(thread, '', c4.id), [['messages', 'late']], 'task-a');
        await saver.putWrites(config(thread, 'tools:1', sub.id), [[INTERRUPT, { value: 'ask' }]], 'task-s');
        await saver.putWrites(config(thread, '', c4.id), [[ERROR, { message: 'boom' }]], 'task-b');
        await expectThread(summary(c4, 2, [], 'loop'), 'done', 5);
        statuses.pop();

        // An interrupt of the root graph: interrupted, in a new version, the summary kept.
        await saver.putWrites(config(thread, '', c4.id), [[INTERRUPT, { value: 'approve?' }]], 'task-c');
        await expectThread(summary(c4, 2, [], 'loop'), 'interrupted', 6);
        const tuple = await saver.getTuple(config(thread, '', c4.id));
        expect(tuple?.pendingWrites?.map(([task, channel]) => `${task} ${channel}`).sort()).toEqual(['task-a messages', 'task-b __error__', 'task-c __interrupt__']);

        // A subgraph checkpoint keeps it interrupted; the next root checkpoint (resumed) decides again: agent due,
        // and a pending Send (TASKS) makes its target due too.
        const sub2 = checkpointOf({ versions: { 'branch:to:inner': 1, messages: 1 }, seen: { inner: { 'branch:to:inner': 1 } }, values: { messages: ['i'] } });
        await saver.put(config(thread, 'tools:1', sub.id), sub2, metadataOf('loop', 1), { messages: 1 });
        await expectThread(summary(c4, 2, [], 'loop'), 'interrupted', 7);
        const c5 = checkpointOf({
          versions: { __start__: 1, messages: 5, 'branch:to:tools': 2, 'branch:to:agent': 5, [TASKS]: 5 },
          seen: { __start__: { __start__: 1 }, agent: { 'branch:to:agent': 3 }, tools: { 'branch:to:tools': 2 } },
          values: { messages: ['m', 'n', 'o', 'p'], 'branch:to:agent': 'agent', [TASKS]: [{ lg_name: 'Send', node: 'mapper', args: { item: 1 } }] },
        });
        await saver.put(config(thread, '', c4.id), c5, metadataOf('loop', 3), { messages: 5, 'branch:to:agent': 5, [TASKS]: 5 });
        await expectThread(summary(c5, 3, ['agent', 'mapper'], 'loop'), 'running', 8);

        // History: every version, newest first, with the status it had; an earlier version holds its summary.
        const history = await t.history(thread);
        expect(history?.currentVersion).toBe(8);
        expect(history?.versions.map((v) => `v${v.version} ${v.status}`)).toEqual(statuses.slice().reverse());
        expect(summaryOf(await t.getVersion(thread, 2)).checkpointId).toBe(c2.id);

        // The change feed: one event per version, in order.
        const events = (): string[] => feed.events.filter((e) => e.id === thread).map((e) => `${e.op} v${e.version} ${e.type}/${e.status}`);
        await feed.until(() => events().length >= 8, '8 events of the thread');
        expect(events()).toEqual(statuses.map((s, i) => `${i === 0 ? 'created' : 'updated'} ${s.split(' ')[0]} ${DEFAULT_THREAD_TYPE}/${s.split(' ')[1]}`));
      });

      it('interrupted lasts until a root checkpoint newer than the interrupted one; an older root checkpoint changes nothing', async () => {
        const t = tenant();
        const saver = new WorkflowCheckpointSaver(t);
        const thread = uniq('late');
        const due = (node: string, version: number): CheckpointSpec => graphStep([node], [], version);
        const c1 = checkpointOf(due('agent', 1));
        const late = checkpointOf(due('late', 1)); // made before c2, put after it
        const c2 = checkpointOf(due('tools', 2));
        await saver.put(config(thread), c1, metadataOf('input', -1), c1.channel_versions);
        expect((await t.get(thread))?.status).toBe('running');

        // The interrupt of c2 is written before c2 is put (LangGraph may put checkpoints after the interrupt's write).
        await saver.putWrites(config(thread, '', c2.id), [[INTERRUPT, { value: 'ask' }]], 'task-i');
        expect((await t.get(thread))?.status).toBe('interrupted');
        await saver.put(config(thread, '', c1.id), c2, metadataOf('loop', 0), c2.channel_versions);
        let workflow = await t.get(thread);
        expect({ status: workflow?.status, checkpointId: summaryOf(workflow).checkpointId }).toEqual({ status: 'interrupted', checkpointId: c2.id });

        // An older root checkpoint put now: stored, the summary and status stay.
        await saver.put(config(thread, '', c1.id), late, metadataOf('loop', 0), late.channel_versions);
        workflow = await t.get(thread);
        expect({ status: workflow?.status, checkpointId: summaryOf(workflow).checkpointId }).toEqual({ status: 'interrupted', checkpointId: c2.id });
        expect((await saver.getTuple(config(thread, '', late.id)))?.checkpoint.id).toBe(late.id);

        // Resumed: a newer root checkpoint decides again.
        const c3 = checkpointOf(graphStep([], ['tools'], 3));
        await saver.put(config(thread, '', c2.id), c3, metadataOf('loop', 1), { messages: 3 });
        workflow = await t.get(thread);
        expect({ status: workflow?.status, checkpointId: summaryOf(workflow).checkpointId, next: summaryOf(workflow).next }).toEqual({ status: 'done', checkpointId: c3.id, next: [] });
      });

      it('threadType names the workflows of its threads; list and the feed filter by it', async () => {
        const t = tenant();
        const feed = await watch(t, 'agent-run');
        const agents = new WorkflowCheckpointSaver(t, { threadType: 'agent-run' });
        const plain = new WorkflowCheckpointSaver(t);
        const a = uniq('run');
        const b = uniq('chat');
        const ca = checkpointOf(graphStep(['x'], [], 1));
        const cb = checkpointOf(graphStep([], [], 1));
        await agents.put(config(a), ca, metadataOf('input', -1), ca.channel_versions);
        await plain.put(config(b), cb, metadataOf('input', -1), cb.channel_versions);
        // Another kind of workflow in the same tenant is no thread.
        await t.create({ id: uniq('invoice'), type: 'invoice', state: {} });

        expect((await t.get(a))?.type).toBe('agent-run');
        expect((await t.get(b))?.type).toBe(DEFAULT_THREAD_TYPE);
        expect((await t.list({ type: 'agent-run' })).items.map((w) => w.id)).toEqual([a]);
        expect((await t.list({ type: DEFAULT_THREAD_TYPE })).items.map((w) => w.id)).toEqual([b]);
        expect(idsOf(await collect(agents.list({ configurable: {} })))).toEqual([`${a}//${ca.id}`]);
        expect(idsOf(await collect(plain.list({ configurable: {} })))).toEqual([`${b}//${cb.id}`]);
        await feed.until((messages) => messages.length >= 1, 'the agent-run event');
        expect(feed.events.map((e) => `${e.op} ${e.id} ${e.type}`)).toEqual([`created ${a} agent-run`]);

        // A put through a saver of another type keeps the thread's type.
        const ca2 = checkpointOf(graphStep([], ['x'], 2));
        await plain.put(config(a, '', ca.id), ca2, metadataOf('loop', 0), { messages: 2 });
        expect((await t.get(a))?.type).toBe('agent-run');
      });
    });

    describe('lists and tenants', () => {
      it('store.list lists threads; saver.list without thread_id lists every thread of this tenant and no other', async () => {
        const tenantA = tenant('cta');
        const tenantB = tenant('ctb');
        const a = new WorkflowCheckpointSaver(tenantA);
        const b = new WorkflowCheckpointSaver(tenantB);
        const shared = uniq('shared');
        const onlyA = uniq('only-a');

        const a1 = checkpointOf({ versions: { x: 1 }, values: { x: 'a-1' } });
        const a2 = checkpointOf({ versions: { x: 2 }, values: { x: 'a-2' } });
        const aSub = checkpointOf({ versions: { y: 1 }, values: { y: 'a-sub' } });
        const o1 = checkpointOf({ versions: { x: 1 }, values: { x: 'only-a' } });
        const b1 = checkpointOf({ versions: { x: 1 }, values: { x: 'b-1' } });
        await a.put(config(shared), a1, metadataOf('input', -1), { x: 1 });
        await b.put(config(shared), b1, metadataOf('input', -1), { x: 1 });
        await a.put(config(shared, '', a1.id), a2, metadataOf('loop', 0), { x: 2 });
        await a.put(config(shared, 'sub:1'), aSub, metadataOf('input', -1), { y: 1 });
        await a.put(config(onlyA), o1, metadataOf('input', -1), { x: 1 });
        await a.putWrites(config(shared, '', a2.id), [['x', 'pending-a']], 'task-a');

        expect((await tenantA.list({ type: DEFAULT_THREAD_TYPE })).items.map((w) => w.id).sort()).toEqual([onlyA, shared].sort());
        expect((await tenantB.list({ type: DEFAULT_THREAD_TYPE })).items.map((w) => w.id)).toEqual([shared]);

        const listedA = await collect(a.list({ configurable: {} }));
        expect(idsOf(listedA).sort()).toEqual([`${shared}//${a1.id}`, `${shared}//${a2.id}`, `${shared}/sub:1/${aSub.id}`, `${onlyA}//${o1.id}`].sort());
        expect(listedA.map((t) => Object.values(t.checkpoint.channel_values)[0]).sort()).toEqual(['a-1', 'a-2', 'a-sub', 'only-a']);
        const listedB = await collect(b.list({ configurable: {} }));
        expect(idsOf(listedB)).toEqual([`${shared}//${b1.id}`]);
        expect(listedB[0]?.checkpoint.channel_values).toEqual({ x: 'b-1' });
        expect(listedB[0]?.pendingWrites).toEqual([]);

        // The same thread id, another tenant: none of A's checkpoints, by id, latest or list.
        expect(await b.getTuple(config(shared, '', a2.id))).toBeUndefined();
        expect((await b.getTuple(config(shared)))?.checkpoint.id).toBe(b1.id);
        expect(await b.getTuple(config(shared, 'sub:1'))).toBeUndefined();
        expect(idsOf(await collect(b.list(config(shared))))).toEqual([`${shared}//${b1.id}`]);
        expect(await b.getTuple(config(onlyA))).toBeUndefined();
        // A limit and a filter apply across threads.
        expect(await collect(a.list({ configurable: {} }, { limit: 2 }))).toHaveLength(2);
        expect(idsOf(await collect(a.list({ configurable: {} }, { filter: { source: 'loop' } })))).toEqual([`${shared}//${a2.id}`]);

        // Deleting A's thread leaves B's.
        await a.deleteThread(shared);
        expect(await a.getTuple(config(shared))).toBeUndefined();
        expect(await tenantA.get(shared)).toBeNull();
        expect((await b.getTuple(config(shared)))?.checkpoint.id).toBe(b1.id);
        expect(idsOf(await collect(a.list({ configurable: {} })))).toEqual([`${onlyA}//${o1.id}`]);
      });
    });

    describe('leases', () => {
      it('a lease on the thread fences puts and interrupts: refused without its token, nothing stored; stored with it', async () => {
        const t = tenant();
        const saver = new WorkflowCheckpointSaver(t);
        const thread = uniq('leased');
        const c1 = checkpointOf(graphStep(['agent'], [], 1));
        await saver.put(config(thread), c1, metadataOf('input', -1), c1.channel_versions);
        const lease = await t.acquireLease(thread, { owner: 'worker-1', ttlMs: 60_000 });
        const before = await t.get(thread);

        const c2 = checkpointOf(graphStep([], ['agent'], 2));
        const refused = await rejectsWith(saver.put(config(thread, '', c1.id), c2, metadataOf('loop', 0), { messages: 2 }), LeaseHeldError, 'put without the token');
        expect(refused.owner).toBe('worker-1');
        await rejectsWith(saver.putWrites(config(thread, '', c1.id), [[INTERRUPT, 'ask']], 'task-i'), LeaseHeldError, 'interrupt without the token');
        await rejectsWith(
          saver.put(config(thread, '', c1.id, { lease_token: lease.token + 1 }), c2, metadataOf('loop', 0), { messages: 2 }),
          LeaseLostError,
          'put with another token',
        );
        expect(await t.get(thread)).toEqual(before);
        expect(idsOf(await collect(saver.list(config(thread))))).toEqual([`${thread}//${c1.id}`]);
        expect(await saver.getTuple(config(thread, '', c2.id))).toBeUndefined();
        expect((await saver.getTuple(config(thread, '', c1.id)))?.pendingWrites).toEqual([]);

        // With the token (a number, or the string a config may carry): stored, a new version.
        await saver.put(config(thread, '', c1.id, { lease_token: lease.token }), c2, metadataOf('loop', 0), { messages: 2 });
        expect((await saver.getTuple(config(thread)))?.checkpoint.id).toBe(c2.id);
        const c3 = checkpointOf(graphStep([], ['agent'], 3));
        await saver.put(config(thread, '', c2.id, { lease_token: String(lease.token) }), c3, metadataOf('loop', 1), { messages: 3 });
        await saver.putWrites(config(thread, '', c3.id, { lease_token: lease.token }), [[INTERRUPT, 'ask']], 'task-i');
        const after = await t.get(thread);
        expect({ version: after?.version, status: after?.status, checkpointId: summaryOf(after).checkpointId }).toEqual({
          version: (before?.version ?? 0) + 3,
          status: 'interrupted',
          checkpointId: c3.id,
        });

        // Released: puts without a token go through again.
        await t.releaseLease(thread, lease.token);
        const c4 = checkpointOf(graphStep([], ['agent'], 4));
        await saver.put(config(thread, '', c3.id), c4, metadataOf('loop', 2), { messages: 4 });
        expect((await saver.getTuple(config(thread)))?.checkpoint.id).toBe(c4.id);
      });
    });

    describe('bad input', () => {
      it('a thread id that is no workflow id is refused by every method, and nothing is written', async () => {
        const t = tenant();
        const saver = new WorkflowCheckpointSaver(t);
        const countBefore = (await t.list({})).items.length;
        for (const bad of ['a b', '', 'x'.repeat(65), '.hidden', 'a/b']) {
          const cp = checkpointOf(graphStep(['n'], [], 1));
          await rejectsWith(saver.put(config(bad), cp, metadataOf('input', -1), cp.channel_versions), InvalidInputError, `put ${JSON.stringify(bad)}`);
          await rejectsWith(saver.putWrites(config(bad, '', cp.id), [['x', 1]], 'task'), InvalidInputError, `putWrites ${JSON.stringify(bad)}`);
          await rejectsWith(saver.putWrites(config(bad, '', cp.id), [[INTERRUPT, 1]], 'task'), InvalidInputError, `interrupt ${JSON.stringify(bad)}`);
          await rejectsWith(saver.getTuple(config(bad)), InvalidInputError, `getTuple ${JSON.stringify(bad)}`);
          await rejectsWith(collect(saver.list(config(bad))), InvalidInputError, `list ${JSON.stringify(bad)}`);
          await rejectsWith(saver.deleteThread(bad), InvalidInputError, `deleteThread ${JSON.stringify(bad)}`);
        }
        expect((await t.list({})).items.length).toBe(countBefore);
        // The longest valid id is fine.
        const longest = 'y'.repeat(64);
        const cp = checkpointOf(graphStep(['n'], [], 1));
        await saver.put(config(longest), cp, metadataOf('input', -1), cp.channel_versions);
        expect((await saver.getTuple(config(longest)))?.checkpoint.id).toBe(cp.id);
      });

      it('a namespace, channel, task or checkpoint id with \\u0000 (or \\u0001) is refused and nothing is written', async () => {
        const t = tenant();
        const saver = new WorkflowCheckpointSaver(t);
        const thread = uniq('names');
        const c1 = checkpointOf({ versions: { x: 1 }, values: { x: 1 } });
        await saver.put(config(thread), c1, metadataOf('input', -1), { x: 1 });
        const before = await t.get(thread);

        const badNs = checkpointOf({ versions: { x: 2 }, values: { x: 2 } });
        await rejectsWith(saver.put(config(thread, 'sub\u0000x'), badNs, metadataOf('input', -1), { x: 2 }), InvalidInputError, 'namespace with \\0');
        await rejectsWith(saver.put(config(thread, 'sub\u0001x'), badNs, metadataOf('input', -1), { x: 2 }), InvalidInputError, 'namespace with \\1');
        const badChannel = checkpointOf({ versions: { x: 2, 'ch\u0000y': 1 }, values: { x: 2, 'ch\u0000y': 'v' } });
        await rejectsWith(saver.put(config(thread, '', c1.id), badChannel, metadataOf('loop', 0), { x: 2, 'ch\u0000y': 1 }), InvalidInputError, 'channel with \\0');
        const badId = { ...checkpointOf({ versions: { x: 2 }, values: { x: 2 } }), id: 'id\u0000x' };
        await rejectsWith(saver.put(config(thread, '', c1.id), badId, metadataOf('loop', 0), { x: 2 }), InvalidInputError, 'checkpoint id with \\0');
        await rejectsWith(saver.putWrites(config(thread, '', c1.id), [['w\u0000x', 1]], 'task'), InvalidInputError, 'write channel with \\0');
        await rejectsWith(saver.putWrites(config(thread, '', c1.id), [['x', 1]], 'task\u0000x'), InvalidInputError, 'task id with \\0');
        await rejectsWith(saver.putWrites(config(thread, 'sub\u0000x', c1.id), [[INTERRUPT, 1]], 'task'), InvalidInputError, 'writes namespace with \\0');
        await rejectsWith(saver.getTuple(config(thread, 'sub\u0000x')), InvalidInputError, 'getTuple namespace with \\0');
        await rejectsWith(collect(saver.list(config(thread, 'sub\u0000x'))), InvalidInputError, 'list namespace with \\0');

        expect(await t.get(thread)).toEqual(before);
        const tuples = await collect(saver.list(config(thread)));
        expect(idsOf(tuples)).toEqual([`${thread}//${c1.id}`]);
        expect(tuples[0]?.pendingWrites).toEqual([]);
        expect(await saver.getTuple(config(thread, 'sub'))).toBeUndefined();
      });

      it('put without thread_id and putWrites without checkpoint_id throw errors that say so; nothing is written', async () => {
        const t = tenant();
        const saver = new WorkflowCheckpointSaver(t);
        const cp = checkpointOf(graphStep(['n'], [], 1));
        const noThread = await rejectsWith(saver.put({ configurable: {} }, cp, metadataOf('input', -1), cp.channel_versions), Error);
        expect(noThread.message).toMatch(/thread_id/);
        const noConfigurable = await rejectsWith(saver.put({}, cp, metadataOf('input', -1), cp.channel_versions), Error);
        expect(noConfigurable.message).toMatch(/thread_id/);
        const noThreadWrites = await rejectsWith(saver.putWrites({ configurable: { checkpoint_id: cp.id } }, [['x', 1]], 'task'), Error);
        expect(noThreadWrites.message).toMatch(/thread_id/);
        const thread = uniq('nocp');
        await saver.put(config(thread), cp, metadataOf('input', -1), cp.channel_versions);
        const before = await t.get(thread);
        const noCheckpoint = await rejectsWith(saver.putWrites(config(thread), [[INTERRUPT, 1]], 'task'), Error);
        expect(noCheckpoint.message).toMatch(/checkpoint_id/);
        expect(await t.get(thread)).toEqual(before);
        expect((await t.list({})).items.map((w) => w.id)).toEqual([thread]);
        // A read without thread id finds nothing (LangGraph's contract), it does not throw.
        expect(await saver.getTuple({ configurable: {} })).toBeUndefined();
      });

      it('keepLast and ttlSeconds out of range are refused by the constructor', async () => {
        const t = tenant();
        for (const keepLast of [-1, 1.5, Number.NaN]) {
          expect(() => new WorkflowCheckpointSaver(t, { keepLast })).toThrow(InvalidInputError);
        }
        for (const ttlSeconds of [0, -5, 2.5, MAX_TTL + 1]) {
          expect(() => new WorkflowCheckpointSaver(t, { ttlSeconds })).toThrow(InvalidInputError);
        }
        // The bounds themselves are fine, and the TTL is the thread's.
        const saver = new WorkflowCheckpointSaver(t, { ttlSeconds: MAX_TTL, keepLast: 0 });
        expect(new WorkflowCheckpointSaver(t, { ttlSeconds: 1, keepLast: 1 })).toBeInstanceOf(WorkflowCheckpointSaver);
        const thread = uniq('ttl');
        const cp = checkpointOf(graphStep(['n'], [], 1));
        await saver.put(config(thread), cp, metadataOf('input', -1), cp.channel_versions);
        expect((await t.get(thread))?.ttlSeconds).toBe(MAX_TTL);
      });
    });

    describe('unknown threads', () => {
      it('putWrites on a thread whose workflow does not exist throws NotFoundError and creates nothing', async () => {
        const t = tenant();
        const saver = new WorkflowCheckpointSaver(t);
        const thread = uniq('ghost');
        await rejectsWith(saver.putWrites(config(thread, '', nextId()), [['x', 1]], 'task'), NotFoundError, 'writes');
        await rejectsWith(saver.putWrites(config(thread, 'sub', nextId()), [[INTERRUPT, 1]], 'task'), NotFoundError, 'subgraph interrupt');
        expect(await t.get(thread)).toBeNull();
        // A deleted thread is unknown too.
        const cp = checkpointOf(graphStep(['n'], [], 1));
        await saver.put(config(thread), cp, metadataOf('input', -1), cp.channel_versions);
        await saver.deleteThread(thread);
        await rejectsWith(saver.putWrites(config(thread, '', cp.id), [['x', 1]], 'task'), NotFoundError, 'writes after deleteThread');
        expect(await t.get(thread)).toBeNull();
        expect(await saver.getTuple(config(thread))).toBeUndefined();
      });

      it('deleteThread of an unknown thread resolves; reads of it find nothing', async () => {
        const t = tenant();
        const saver = new WorkflowCheckpointSaver(t);
        const thread = uniq('never');
        await expect(saver.deleteThread(thread)).resolves.toBeUndefined();
        expect(await saver.getTuple(config(thread))).toBeUndefined();
        expect(await saver.getTuple(config(thread, '', nextId()))).toBeUndefined();
        expect(await collect(saver.list(config(thread)))).toEqual([]);
        expect(await collect(saver.list({ configurable: {} }))).toEqual([]);
        expect(await saver.getDeltaChannelHistory({ config: config(thread), channels: ['x'] })).toEqual({ x: { writes: [] } });
      });
    });
  });
}
