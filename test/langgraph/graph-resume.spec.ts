/**
 * A real LangGraph graph on WorkflowCheckpointSaver across two processes, on a real redis-server.
 *
 * The document-review graph of graph-worker.mjs (no LLM): START -> extract -> one classify task per page, sent in
 * parallel with Send -> review (interrupt() for a human decision) -> approve -> END; `classified` and `trail` are
 * appended by reducers.
 *
 * - Process A, a child Node process on the BUILT library (dist/, `npm run build` first), runs the graph to the
 *   interrupt, closes its store and must exit by itself.
 * - Process B, this test process with a fresh store and saver (the library's source), sees the interrupt in
 *   getState and in the thread's workflow (type langgraph-thread, status interrupted), resumes with
 *   Command({ resume: 'approved' }) to END: every Send result present exactly once, the approval recorded, the
 *   thread's workflow done.
 * - The thread's workflow summarises its latest checkpoint at every version it went through (next = the graph's
 *   next step, status running / interrupted / done).
 * - getStateHistory: newest first, steps and next as LangGraph runs them, each parent the next older one; limit,
 *   before and filter.
 * - Two forks: updateState as `review` on the interrupted checkpoint (a manual rejection) and a replay from the
 *   checkpoint before the fan-out (it re-sends the classify tasks and interrupts again; resumed with a rejection).
 *   Each gives the expected result and every checkpoint of the original run reads back unchanged.
 * - The same steps on MemorySaver give the same transcript (values, interrupts, history shape): the oracle.
 * - deleteThread: getState empty, the workflow gone, no key of the thread left in Redis (SCAN of the test's prefix).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunnableConfig } from '@langchain/core/runnables';
import { Command, MemorySaver, type StateSnapshot } from '@langchain/langgraph';
import type { BaseCheckpointSaver, CheckpointListOptions } from '@langchain/langgraph-checkpoint';
import { Redis } from 'ioredis';
import {
  createWorkflowStore,
  loadWorkflowStoreConfig,
  WorkflowCheckpointSaver,
  type ThreadSummary,
  type ValidatingWorkflowStore,
} from '#workflow-store';
import { killAtExit } from '../support/kill-at-exit.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { dropClient } from '../support/redis-client.js';
import { RedisServer } from '../support/redis-server.js';
import { keysOfThread } from './checked-saver.js';

const WORKER_SCRIPT = join(process.cwd(), 'test/langgraph/graph-worker.mjs');
const BUILT_LIBRARY = join(process.cwd(), 'dist/libs/workflow-store/src/checkpoints/workflow-checkpoint-saver.js');
/** A variable, so TypeScript does not look for declarations of the plain JS module; typed by GraphModule below. */
const GRAPH_MODULE = './graph-worker.mjs';
const WORKER_EXIT_MS = 20_000;

const PAGES = ['Invoice 42: amount due 1 200 EUR', 'Terms and conditions of the agreement', 'Signed by both parties on 3 March'];
const EXPECTED_CLASSIFIED = [
  { page: 0, label: 'invoice', words: 7 },
  { page: 1, label: 'other', words: 6 },
  { page: 2, label: 'signature', words: 7 },
];
const DOC_ID = 'contract-7';
const QUESTION = { question: `Approve ${DOC_ID} (3 pages: invoice, other, signature)?`, pages: 3 };
const INPUT = { docId: DOC_ID, text: PAGES.join('\f') };

interface Classified {
  page: number;
  label: string;
  words: number;
}

interface ReviewValues {
  docId: string;
  text: string;
  pages: string[];
  classified: Classified[];
  trail: string[];
  decision?: string;
  approved?: boolean;
}

interface InterruptValue {
  id?: string;
  value?: unknown;
}

type InvokeResult = ReviewValues & { __interrupt__?: InterruptValue[] };

/** What the spec uses of the compiled graph of graph-worker.mjs. */
interface ReviewGraph {
  invoke(input: unknown, config: RunnableConfig): Promise<InvokeResult>;
  getState(config: RunnableConfig): Promise<StateSnapshot>;
  getStateHistory(config: RunnableConfig, options?: CheckpointListOptions): AsyncIterableIterator<StateSnapshot>;
  updateState(config: RunnableConfig, values: Record<string, unknown>, asNode?: string): Promise<RunnableConfig>;
}

interface GraphModule {
  buildReviewGraph(checkpointer: BaseCheckpointSaver): ReviewGraph;
}

/** The line process A prints. */
interface WorkerReport {
  type: 'interrupted' | 'crashed';
  result?: InvokeResult;
  next?: string[];
  checkpointId?: string;
  error?: string;
}

/** A snapshot without its ids (they differ between savers): parents as positions in the same history. */
interface SnapshotShape {
  step: unknown;
  source: unknown;
  next: string[];
  values: unknown;
  parent: number | null;
  tasks: { name: string; interrupts: unknown[]; result: unknown }[];
}

/** Everything the scenario observes, comparable between savers. */
interface Transcript {
  interrupted: { values: unknown; interrupts: unknown[] };
  atInterrupt: SnapshotShape;
  final: InvokeResult;
  history: SnapshotShape[];
  manualFork: { atFork: SnapshotShape; final: InvokeResult };
  replay: { interrupted: { values: unknown; interrupts: unknown[] }; final: InvokeResult };
  historyAfterForks: SnapshotShape[];
}

const idOf = (config: RunnableConfig | undefined): string | undefined => config?.configurable?.checkpoint_id as string | undefined;

function shapeOf(snapshot: StateSnapshot, order: readonly (string | undefined)[] = []): SnapshotShape {
  const parentId = idOf(snapshot.parentConfig);
  return {
    step: snapshot.metadata?.step,
    source: snapshot.metadata?.source,
    next: [...snapshot.next],
    values: snapshot.values as unknown,
    parent: parentId === undefined ? null : order.indexOf(parentId),
    tasks: snapshot.tasks.map((task) => ({ name: task.name, interrupts: task.interrupts.map((i) => i.value), result: task.result })),
  };
}

function interruptedOf(result: InvokeResult): { values: unknown; interrupts: unknown[] } {
  const { __interrupt__: interrupts = [], ...values } = result;
  return { values, interrupts: interrupts.map((i) => i.value) };
}

async function historyOf(graph: ReviewGraph, config: RunnableConfig, options?: CheckpointListOptions): Promise<StateSnapshot[]> {
  const out: StateSnapshot[] = [];
  for await (const snapshot of graph.getStateHistory(config, options)) out.push(snapshot);
  return out;
}

function shapesOf(history: StateSnapshot[]): SnapshotShape[] {
  const order = history.map((s) => idOf(s.config));
  return history.map((s) => shapeOf(s, order));
}

/** The steps after the first run to the interrupt, the same on every saver. */
async function continueScenario(graph: ReviewGraph, config: RunnableConfig, firstRun: InvokeResult): Promise<Transcript> {
  const atInterrupt = await graph.getState(config);
  const final = await graph.invoke(new Command({ resume: 'approved' }), config);
  const history = await historyOf(graph, config);
  const byStep = (step: number): StateSnapshot => history.find((s) => s.metadata?.step === step) as StateSnapshot;
  const forkConfig = await graph.updateState(byStep(2).config, { decision: 'rejected', trail: ['review:manual'] }, 'review');
  const atFork = await graph.getState(forkConfig);
  const forkFinal = await graph.invoke(null, forkConfig);
  const replayed = await graph.invoke(null, byStep(1).config);
  const replayFinal = await graph.invoke(new Command({ resume: 'rejected' }), config);
  const after = await historyOf(graph, config);
  return {
    interrupted: interruptedOf(firstRun),
    atInterrupt: shapeOf(atInterrupt),
    final,
    history: shapesOf(history),
    manualFork: { atFork: shapeOf(atFork), final: forkFinal },
    replay: { interrupted: interruptedOf(replayed), final: replayFinal },
    historyAfterForks: shapesOf(after),
  };
}

/** Runs graph-worker.mjs as process A; resolves with its exit code, its report and its stderr once it has exited. */
function runProcessA(config: Record<string, unknown>): Promise<{ code: number | null; signal: string | null; report: WorkerReport | undefined; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER_SCRIPT, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const pids = killAtExit();
    const pid = child.pid;
    if (pid !== undefined) pids.add(pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // It must exit by itself once its store is closed: a handle left open would keep it alive.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process A did not exit by itself within ${WORKER_EXIT_MS} ms (killed); stdout: ${stdout}\nstderr: ${stderr}`));
    }, WORKER_EXIT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (pid !== undefined) pids.delete(pid);
      const line = stdout.split('\n').find((l) => l.trim().startsWith('{'));
      resolve({ code, signal, report: line === undefined ? undefined : (JSON.parse(line) as WorkerReport), stdout, stderr });
    });
  });
}


describe('a document-review graph (Send fan-out, interrupt) across two processes on WorkflowCheckpointSaver', () => {
  let redis: RedisServer | undefined;
  let admin: Redis | undefined;
  let store: ValidatingWorkflowStore | undefined;
  let graphModule: GraphModule;
  let saver: WorkflowCheckpointSaver;
  let graph: ReviewGraph;
  const prefix = randomPrefix();
  const thread = randomId('review');
  const config: RunnableConfig = { configurable: { thread_id: thread } };
  let env: Record<string, string>;
  // What each step saw, for the oracle.
  let firstRun: InvokeResult | undefined;
  let atInterrupt: StateSnapshot | undefined;
  let final: InvokeResult | undefined;
  let history: StateSnapshot[] = [];
  let manualFork: Transcript['manualFork'] | undefined;
  let replay: Transcript['replay'] | undefined;
  let historyAfterForks: StateSnapshot[] = [];

  beforeAll(async () => {
    if (!existsSync(BUILT_LIBRARY)) throw new Error(`${BUILT_LIBRARY} is missing: process A runs the built library, run \`npm run build\` first`);
    graphModule = (await import(GRAPH_MODULE)) as GraphModule;
    redis = await RedisServer.start({ appendonly: false });
    admin = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true });
    await admin.connect();
    env = {
      USE_REDIS: 'true',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      WORKFLOW_STATE_TTL: '600',
      WORKFLOW_HISTORY_VERSIONS: '50',
      REDIS_PURGE_INTERVAL_MS: '0',
      LEASE_SWEEP_INTERVAL_MS: '0',
      REDIS_PERSISTENCE_CHECK: 'off',
      REDIS_COMMAND_TIMEOUT_MS: '5000',
    };
  });

  afterAll(async () => {
    try {
      await store?.close();
    } finally {
      if (admin) dropClient(admin);
      await redis?.stop();
    }
  });

  it('process A (built library, own process) runs the graph to the interrupt, closes its store and exits by itself', async () => {
    const run = await runProcessA({ env, threadId: thread, input: INPUT });
    expect({ code: run.code, signal: run.signal, stderr: run.stderr, type: run.report?.type, error: run.report?.error }).toEqual({
      code: 0,
      signal: null,
      stderr: '',
      type: 'interrupted',
      error: undefined,
    });
    const report = run.report as WorkerReport;
    expect(report.next).toEqual(['review']);
    firstRun = report.result as InvokeResult;
    expect(interruptedOf(firstRun).interrupts).toEqual([QUESTION]);
    expect([...firstRun.classified].sort((a, b) => a.page - b.page)).toEqual(EXPECTED_CLASSIFIED);
    expect(firstRun.decision).toBeUndefined();
  });

  it("process B (a fresh store and saver) sees the interrupt in getState and in the thread's workflow", async () => {
    store = createWorkflowStore(loadWorkflowStoreConfig(env), quietLogger());
    await store.connect();
    saver = new WorkflowCheckpointSaver(store);
    graph = graphModule.buildReviewGraph(saver);

    atInterrupt = await graph.getState(config);
    expect(atInterrupt.next).toEqual(['review']);
    expect(atInterrupt.metadata?.step).toBe(2);
    expect(atInterrupt.tasks.map((t) => ({ name: t.name, interrupts: t.interrupts.map((i) => i.value) }))).toEqual([{ name: 'review', interrupts: [QUESTION] }]);
    const values = atInterrupt.values as ReviewValues;
    expect([...values.classified].sort((a, b) => a.page - b.page)).toEqual(EXPECTED_CLASSIFIED);
    expect(values.decision).toBeUndefined();

    const workflow = await store.get(thread);
    expect(workflow).toMatchObject({ id: thread, type: 'langgraph-thread' });
    const summary = workflow?.state as unknown as ThreadSummary;
    expect({ checkpointId: summary.checkpointId, step: summary.step }).toEqual({ checkpointId: idOf(atInterrupt.config), step: 2 });
    expect(workflow?.status).toBe('interrupted');
  });

  it('process B resumes with Command({ resume }) and runs to END: each Send result exactly once, the approval recorded, the thread done', async () => {
    final = await graph.invoke(new Command({ resume: 'approved' }), config);
    expect(final.__interrupt__).toBeUndefined();
    // Each page classified exactly once, by the one classify task sent for it.
    expect(final.classified).toHaveLength(PAGES.length);
    expect([...final.classified].sort((a, b) => a.page - b.page)).toEqual(EXPECTED_CLASSIFIED);
    expect(final.trail[0]).toBe('extract');
    expect(final.trail.slice(1, 4).sort()).toEqual(['classify:0', 'classify:1', 'classify:2']);
    expect(final.trail.slice(4)).toEqual(['review', 'approve:approved']);
    expect({ decision: final.decision, approved: final.approved }).toEqual({ decision: 'approved', approved: true });

    const latest = await graph.getState(config);
    expect({ next: latest.next, step: latest.metadata?.step, values: latest.values as unknown }).toEqual({ next: [], step: 4, values: { ...final } });
    const workflow = await store?.get(thread);
    expect((workflow?.state as unknown as ThreadSummary | undefined)?.checkpointId).toBe(idOf(latest.config));
    expect(workflow?.status).toBe('done');
  });

  it("the thread's workflow summarises its checkpoint at every version (next = the graph's next step; status running, interrupted or done)", async () => {
    const s = store as ValidatingWorkflowStore;
    const kept = await s.history(thread);
    expect(kept?.versions.length).toBe(kept?.currentVersion); // nothing pruned: every version is checked
    const mismatches: unknown[] = [];
    const interruptedIds: string[] = [];
    for await (const snapshot of graph.getStateHistory({ configurable: { thread_id: thread } })) {
      if (snapshot.tasks.some((t) => t.interrupts.length > 0)) interruptedIds.push(idOf(snapshot.config) as string);
    }
    expect(interruptedIds.length).toBeGreaterThan(0);
    for (const { version } of kept?.versions ?? []) {
      const workflow = await s.getVersion(thread, version);
      const summary = workflow?.state as unknown as ThreadSummary;
      const snapshot = await graph.getState({ configurable: { thread_id: thread, checkpoint_id: summary.checkpointId } });
      const next = [...new Set(snapshot.next)].sort();
      // LangGraph's default durability ("async") writes the interrupt before it puts the checkpoints up to the
      // interrupted one: those versions are written while the thread is already interrupted, and say so.
      const interruptedLater = interruptedIds.some((id) => id >= summary.checkpointId);
      const status = workflow?.status === 'interrupted' && interruptedLater ? 'interrupted' : next.length > 0 ? 'running' : 'done';
      const want = { step: snapshot.metadata?.step, next, status };
      const got = { step: summary.step, next: summary.next, status: workflow?.status };
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push({ version, checkpointStep: snapshot.metadata?.step, got, want });
    }
    expect(mismatches).toEqual([]);
  });

  it('getStateHistory lists the checkpoints newest first with the steps and next LangGraph ran, each parent the next older one', async () => {
    history = await historyOf(graph, config);
    expect(history.map((s) => s.metadata?.step)).toEqual([4, 3, 2, 1, 0, -1]);
    expect(history.map((s) => s.metadata?.source)).toEqual(['loop', 'loop', 'loop', 'loop', 'loop', 'input']);
    expect(history.map((s) => s.next)).toEqual([[], ['approve'], ['review'], ['classify', 'classify', 'classify'], ['extract'], ['__start__']]);
    const ids = history.map((s) => idOf(s.config) as string);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(history.map((s) => idOf(s.parentConfig))).toEqual([...ids.slice(1), undefined]);
    // The interrupted checkpoint keeps the review task's interrupt and its result after the resume; the fan-out's
    // checkpoint its three classify tasks, one result each.
    expect(history[2]?.tasks.map((t) => ({ name: t.name, interrupts: t.interrupts.map((i) => i.value) }))).toEqual([{ name: 'review', interrupts: [QUESTION] }]);
    expect(history[3]?.tasks.map((t) => t.result)).toHaveLength(3);
    expect(history[3]?.tasks.map((t) => (t.result as { classified: Classified[] }).classified[0]).sort((a, b) => (a?.page ?? 0) - (b?.page ?? 0))).toEqual(EXPECTED_CLASSIFIED);

    // list options: limit, before, filter.
    expect((await historyOf(graph, config, { limit: 2 })).map((s) => idOf(s.config))).toEqual(ids.slice(0, 2));
    expect((await historyOf(graph, config, { before: history[2]?.config })).map((s) => idOf(s.config))).toEqual(ids.slice(3));
    expect((await historyOf(graph, config, { filter: { source: 'input' } })).map((s) => idOf(s.config))).toEqual(ids.slice(5));
    // Any checkpoint by id reads back as listed.
    const third = await graph.getState(history[3]?.config as RunnableConfig);
    expect(shapeOf(third)).toEqual(shapeOf(history[3] as StateSnapshot));
  });

  it('forks from earlier checkpoints (updateState as review; a replay before the fan-out) give the expected results; the original history stays intact', async () => {
    const original = history;
    const [, , interrupted, beforeFanOut] = original as [StateSnapshot, StateSnapshot, StateSnapshot, StateSnapshot];

    // A manual rejection on the interrupted checkpoint, as if the review node had answered.
    const forkConfig = await graph.updateState(interrupted.config, { decision: 'rejected', trail: ['review:manual'] }, 'review');
    const atFork = await graph.getState(forkConfig);
    expect({ next: atFork.next, source: atFork.metadata?.source, step: atFork.metadata?.step, parent: idOf(atFork.parentConfig) }).toEqual({
      next: ['approve'],
      source: 'update',
      step: 3,
      parent: idOf(interrupted.config),
    });
    const forkFinal = await graph.invoke(null, forkConfig);
    expect({ decision: forkFinal.decision, approved: forkFinal.approved, trail: forkFinal.trail.slice(4), pages: forkFinal.classified.length }).toEqual({
      decision: 'rejected',
      approved: false,
      trail: ['review:manual', 'approve:rejected'],
      pages: 3,
    });
    manualFork = { atFork: shapeOf(atFork), final: forkFinal };

    // A replay from the checkpoint whose next step is the fan-out: the classify tasks run again on the new branch
    // (their results land once), the review interrupts again, and the branch is resumed with a rejection.
    const replayed = await graph.invoke(null, beforeFanOut.config);
    expect(interruptedOf(replayed).interrupts).toEqual([QUESTION]);
    expect([...replayed.classified].sort((a, b) => a.page - b.page)).toEqual(EXPECTED_CLASSIFIED);
    const replayState = await graph.getState(config);
    expect({ next: replayState.next, step: replayState.metadata?.step }).toEqual({ next: ['review'], step: 3 });
    const statusAtReplayInterrupt = (await store?.get(thread))?.status;
    const replayFinal = await graph.invoke(new Command({ resume: 'rejected' }), config);
    expect([...replayFinal.classified].sort((a, b) => a.page - b.page)).toEqual(EXPECTED_CLASSIFIED);
    expect({ decision: replayFinal.decision, approved: replayFinal.approved, trail: replayFinal.trail.slice(4) }).toEqual({
      decision: 'rejected',
      approved: false,
      trail: ['review', 'approve:rejected'],
    });
    replay = { interrupted: interruptedOf(replayed), final: replayFinal };

    // Every checkpoint of the original run reads back as it was, and is still listed with its parent.
    for (const snapshot of original) expect(shapeOf(await graph.getState(snapshot.config))).toEqual(shapeOf(snapshot));
    historyAfterForks = await historyOf(graph, config);
    expect(historyAfterForks).toHaveLength(original.length + 2 + 4);
    const listed = new Map(historyAfterForks.map((s) => [idOf(s.config), idOf(s.parentConfig)]));
    for (const snapshot of original) expect(listed.get(idOf(snapshot.config))).toBe(idOf(snapshot.parentConfig));
    // The original final state is still the approved one; the thread's latest is the replayed branch's end.
    expect((await graph.getState(original[0]?.config as RunnableConfig)).values).toEqual({ ...final });
    const latest = await graph.getState(config);
    expect((latest.values as ReviewValues).decision).toBe('rejected');
    expect(((await store?.get(thread))?.state as unknown as ThreadSummary | undefined)?.checkpointId).toBe(idOf(latest.config));
    // The replayed branch's interrupt made the thread interrupted.
    expect(statusAtReplayInterrupt).toBe('interrupted');
  });

  it('the same steps on MemorySaver (the oracle) give the same transcript', async () => {
    const memory = graphModule.buildReviewGraph(new MemorySaver());
    const memoryFirst = await memory.invoke(INPUT, config);
    const expected = await continueScenario(memory, config, memoryFirst);
    const observed: Transcript = {
      interrupted: interruptedOf(firstRun as InvokeResult),
      atInterrupt: shapeOf(atInterrupt as StateSnapshot),
      final: final as InvokeResult,
      history: shapesOf(history),
      manualFork: manualFork as Transcript['manualFork'],
      replay: replay as Transcript['replay'],
      historyAfterForks: shapesOf(historyAfterForks),
    };
    expect(observed).toEqual(expected);
  });

  it('deleteThread leaves nothing: getState empty, no workflow, no key of the thread in Redis', async () => {
    const client = admin as Redis;
    const before = await keysOfThread(client, prefix, thread);
    // The pattern does find the thread's keys: record, kept versions, checkpoints, their order.
    expect(before.map((key) => key.slice(key.lastIndexOf('}:') + 2, -thread.length - 1)).sort()).toEqual(['g', 'h', 'w', 'y']);

    await saver.deleteThread(thread);
    const state = await graph.getState(config);
    expect({ values: state.values as unknown, next: state.next, tasks: state.tasks }).toEqual({ values: {}, next: [], tasks: [] });
    expect(await historyOf(graph, config)).toEqual([]);
    expect(await saver.getTuple(config)).toBeUndefined();
    expect(await store?.get(thread)).toBeNull();
    expect(await keysOfThread(client, prefix, thread)).toEqual([]);
    // Deleting again is a no-op.
    await saver.deleteThread(thread);
  });
});
