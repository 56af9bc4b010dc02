import { MemorySaver } from '@langchain/langgraph-checkpoint';
import type { BenchConfig } from '../lib/bench-config.js';
import { CpuMeter, treeCpuMs } from '../lib/checkpoint-cpu.js';
import { GraphThread, makeThreads, payloadSizes } from '../lib/checkpoint-payloads.js';
import { postgresStatements, redisRoundTrips, type RoundTrips } from '../lib/checkpoint-round-trips.js';
import { CHECKPOINT_OPS as OPS, checkpointRows, type CheckpointFigure, type CheckpointOp as OpName, type CheckpointRowInputs } from '../lib/checkpoint-rows.js';
import { memorySaver, ourSaver, postgresSaver, type SaverUnderTest } from '../lib/checkpoint-savers.js';
import type { Comparison } from '../lib/comparison.js';
import { inParallel } from '../lib/in-parallel.js';
import { measure, type LoadShape, type Measurement, type Operation } from '../lib/measure.js';
import { PostgresProcess, POSTGRES_BENCH_SETTINGS } from '../lib/postgres-process.js';
import { procSample } from '../lib/proc-usage.js';
import type { RedisProcess } from '../lib/redis-process.js';
import { rotatedRuns } from '../lib/rotated-runs.js';
import { RunCosts } from '../lib/run-costs.js';

/** Graph threads per saver for the writes, and as many for the reads. */
const THREADS = 1000;
/** Calls in flight, as a server running 32 graphs at once makes them. */
const CONCURRENCY = 32;
/** Checkpoints each read thread has before `getTuple` reads its latest (plus one task's writes pending on it). */
const READ_STEPS = 3;
/** Operations, one at a time, whose Redis commands (ours) or SQL statements (Postgres) are counted. */
const COUNTED_OPS = 200;
/** Unmeasured calls of each saver before its first measured run (JIT, pools filling, Redis' script cache). */
const WARM_UP_MS = 500;

interface Subject {
  s: SaverUnderTest;
  writeThreads: GraphThread[];
  readThreads: GraphThread[];
}

const at = (threads: GraphThread[], i: number): GraphThread => threads[i % threads.length] as GraphThread;

/** One call of `op` on the subject's next thread (round robin: a thread is never in two calls at once at 32 in flight). */
function operation(subject: Subject, op: OpName): Operation {
  const { saver } = subject.s;
  let next = 0;
  switch (op) {
    case 'put':
      return () => at(subject.writeThreads, next++).put(saver);
    case 'putWrites':
      return () => at(subject.writeThreads, next++).putWrites(saver);
    case 'getTuple':
      return async () => {
        if (!(await saver.getTuple(GraphThread.latestConfig(at(subject.readThreads, next++).threadId)))) throw new Error('no checkpoint');
      };
  }
}

/**
 * What MemorySaver kept of the write threads goes after each of its runs (their next calls do not need it): it would
 * grow this process's heap by hundreds of MB a run, and the collector's pauses would land in the other savers' runs.
 */
function dropMemoryWrites(subject: Subject): void {
  const saver = subject.s.saver;
  if (!(saver instanceof MemorySaver)) return;
  for (const t of subject.writeThreads) delete saver.storage[t.threadId];
  const prefix = JSON.stringify([`${subject.s.key}-w-`]).slice(0, -2); // writes keys are JSON [thread, ns, id]
  for (const key of Object.keys(saver.writes)) if (key.startsWith(prefix)) delete saver.writes[key];
}

/** Every thread gets its first checkpoint (all channels); read threads get READ_STEPS and one task's writes. */
async function prepare(s: SaverUnderTest): Promise<Subject> {
  const subject = { s, writeThreads: makeThreads(`${s.key}-w`, THREADS), readThreads: makeThreads(`${s.key}-r`, THREADS) };
  await inParallel(subject.writeThreads, CONCURRENCY, (t) => t.put(s.saver));
  await inParallel(subject.readThreads, CONCURRENCY, async (t) => {
    for (let step = 0; step < READ_STEPS; step++) await t.put(s.saver);
    await t.putWrites(s.saver);
  });
  // Same answer from every saver, or the comparison is not of the same work.
  const tuple = await s.saver.getTuple(GraphThread.latestConfig(at(subject.readThreads, 0).threadId));
  const messages = (tuple?.checkpoint.channel_values as { messages?: unknown[] } | undefined)?.messages;
  const latest = at(subject.readThreads, 0).latest?.configurable?.checkpoint_id;
  if (tuple?.config.configurable?.checkpoint_id !== latest || messages?.length !== 10 || tuple?.pendingWrites?.length !== 3) {
    throw new Error(`${s.label}: getTuple did not return the latest checkpoint with its 10 messages and 3 pending writes`);
  }
  return subject;
}

/** Ours' Redis commands and Postgres' statements per put, putWrites and getTuple, each one call at a time. */
async function countRoundTrips(ours: Subject, redis: RedisProcess, pgUrl: string): Promise<CheckpointRowInputs['trips']> {
  const oursTrips = {} as CheckpointRowInputs['trips']['ours'];
  for (const op of OPS) {
    const call = operation(ours, op);
    oursTrips[op] = await redisRoundTrips(redis, COUNTED_OPS, () => call(0));
  }
  let statements = 0;
  const counted = await postgresSaver(pgUrl, { max: 1, onStatement: () => void statements++ });
  try {
    const subject: Subject = { s: counted, writeThreads: makeThreads('pgc-w', COUNTED_OPS), readThreads: [] };
    await inParallel(subject.writeThreads, 1, (t) => t.put(counted.saver)); // first steps write every channel: not counted
    subject.readThreads = subject.writeThreads;
    const pgTrips = {} as Record<OpName, RoundTrips>;
    for (const op of OPS) {
      const call = operation(subject, op);
      pgTrips[op] = await postgresStatements(() => statements, COUNTED_OPS, () => call(0));
    }
    return { ours: oursTrips, postgres: pgTrips };
  } finally {
    await counted.close();
  }
}

/**
 * LangGraph checkpointers on the same graph-shaped payloads (bench/lib/checkpoint-payloads.ts: a v4 checkpoint with
 * 10 chat messages, ~2 KB, and three small channels; 3 writes per task), 32 calls in flight over 1 000 threads each:
 * `put` of a thread's next step, `putWrites` of one task's writes on its latest checkpoint, `getTuple` of a thread's
 * latest checkpoint (3 steps, 3 pending writes). Savers: ours (WorkflowCheckpointSaver on the Redis store), MemorySaver
 * (in process: the ceiling), PostgresSaver on a private PostgreSQL with its durable defaults (pools of 10 and 32: the
 * faster is the baseline) and, for information, with synchronous_commit=off. Order rotated every round, medians;
 * CPU per call of client and server beside each. Then the Redis commands per call of ours (MONITOR) and the SQL
 * statements per call of PostgresSaver.
 */
export async function checkpointScenario(
  config: BenchConfig,
  redis: RedisProcess,
  log: (line: string) => void,
): Promise<{ rows: Comparison[]; extra: Record<string, unknown> }> {
  const postgres = await PostgresProcess.start();
  const described = await postgres.describe();
  log(`postgres ${described.version} pid ${postgres.pid} on port ${postgres.port} (${described.settings})`);
  const savers: SaverUnderTest[] = [];
  const stats = redis.client();
  try {
    savers.push(await ourSaver(redis), memorySaver());
    for (const options of [{ max: 10 }, { max: CONCURRENCY }, { max: CONCURRENCY, asyncCommit: true }]) savers.push(await postgresSaver(postgres.url, options));
    log(`checkpoint: ${THREADS} write and ${THREADS} read threads per saver (${savers.map((s) => s.key).join(', ')})`);
    const subjects = await Promise.all(savers.map(prepare));
    const serverCpu = (key: string): (() => number) | undefined =>
      key === 'ours' ? () => procSample(redis.pid as number).cpuMs : key.startsWith('pg-') ? () => treeCpuMs(postgres.pid as number) : undefined;
    const load: LoadShape = { concurrency: CONCURRENCY, durationMs: config.redisLoad.durationMs, warmupMs: config.redisLoad.warmupMs };
    const figures = new Map<string, CheckpointFigure>();
    const evalshaUs = {} as Record<OpName, number>;
    for (const op of OPS) {
      // Reads do not commit: synchronous_commit changes nothing for them.
      const runs = subjects
        .filter((s) => op !== 'getTuple' || s.s.key !== 'pg-async')
        .map((subject) => {
          const cpu = new CpuMeter(serverCpu(subject.s.key));
          return { subject, key: subject.s.key, cpu, op: cpu.wrap(operation(subject, op)) };
        });
      log(`checkpoint: ${op}, ${runs.map((f) => f.key).join(' / ')}`);
      const commands = new RunCosts(stats, ['evalsha']);
      const run = (f: (typeof runs)[number], shape: LoadShape) => async (): Promise<Measurement> => {
        const timed = (): Promise<Measurement> => f.cpu.around(() => measure(f.op, shape));
        const measured = await (f.key === 'ours' ? commands.around(timed) : timed());
        dropMemoryWrites(f.subject);
        return measured;
      };
      for (const f of runs) await run(f, { ...load, durationMs: WARM_UP_MS, warmupMs: 0 })();
      const { medians, runs: all } = await rotatedRuns(config.rounds, runs.map((f) => run(f, load)));
      runs.forEach((f, k) => figures.set(`${f.key} ${op}`, { median: medians[k] as Measurement, runs: all[k] as Measurement[], cpu: f.cpu.perCall() }));
      evalshaUs[op] = commands.usecPerCall('evalsha');
    }
    log('checkpoint: Redis commands per call of ours (MONITOR), SQL statements per call of PostgresSaver');
    const trips = await countRoundTrips(subjects[0] as Subject, redis, postgres.url);
    const sizes = payloadSizes();
    const rows = checkpointRows({
      figures,
      labels: new Map(savers.map((s) => [s.key, s.label])),
      concurrency: CONCURRENCY,
      threads: THREADS,
      countedOps: COUNTED_OPS,
      trips,
      evalshaUs,
      sizes,
      postgres: described,
    });
    const extra = {
      threads: THREADS,
      concurrency: CONCURRENCY,
      readSteps: READ_STEPS,
      payloadBytes: sizes,
      postgres: { ...described, bench: POSTGRES_BENCH_SETTINGS },
      roundTrips: trips,
      oursEvalshaUsecPerCall: evalshaUs,
      figures: Object.fromEntries([...figures].map(([key, f]) => [key, { median: f.median, cpuPerCall: f.cpu }])),
    };
    return { rows, extra };
  } finally {
    for (const s of savers) await s.close().catch(() => undefined);
    stats.disconnect();
    await postgres.stop();
  }
}
