import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchConfig } from '../lib/bench-config.js';
import type { Comparison } from '../lib/comparison.js';
import { runNode } from '../lib/node-child.js';
import { procSample } from '../lib/proc-usage.js';
import { RedisClusterProcess } from '../lib/redis-cluster-process.js';
import { serverSample, serverTime, type ServerSample } from '../lib/server-time.js';
import type { OpCost } from './capacity.scenario.js';

const MASTERS = 3;
/** Load generator processes, and updates in flight in each (each on its own workflow). */
const WORKERS = 3;
const IN_FLIGHT = 64;
/** Time for the workers to start, connect and write their workflows before the common start. */
const START_DELAY_MS = 4000;

const worker = fileURLToPath(new URL('../lib/capacity-load-worker.js', import.meta.url));
const sleepUntil = (epochMs: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, epochMs - Date.now())));

/** Busy and total CPU time of the whole machine (all cores), in clock ticks, from /proc/stat's first line. */
function machineTicks(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, v) => sum + v, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

interface WorkerResult {
  ops: number;
  errors: number;
  cpuUsec: number;
}

/**
 * The capacity model checked against one measured point: a local Redis Cluster of 3 masters (no persistence, as the
 * bench's server), driven by 3 load-generator processes (bench/lib/capacity-load-worker.ts, the store's own client
 * on REDIS_CLUSTER_NODES, default 64 shards spread over the 3 masters) each keeping 64 `update`s with
 * expectedVersion in flight. Over the measured window: updates a second, every master's main-thread CPU and
 * commandstats, the workers' CPU and the whole machine's. The model's prediction from the single-server figure
 * (Redis CPU µs per update, `capacity` group) is (master cores busy) × 10⁶ ÷ µs per update.
 */
export async function capacityClusterScenario(
  config: BenchConfig,
  update: OpCost | undefined,
  log: (line: string) => void,
): Promise<{ rows: Comparison[]; extra: Record<string, unknown> }> {
  const warmupMs = config.quick ? 2000 : 3000;
  const durationMs = config.quick ? 5000 : 15_000;
  log(`capacity-cluster: ${MASTERS} masters, ${WORKERS} load processes × ${IN_FLIGHT} updates in flight, ${warmupMs / 1000} s warm-up + ${durationMs / 1000} s measured`);
  const cluster = await RedisClusterProcess.start(MASTERS);
  const clients = cluster.clients();
  try {
    const startAt = Date.now() + START_DELAY_MS;
    const measuredFrom = startAt + warmupMs;
    const end = measuredFrom + durationMs;
    const runs = Array.from({ length: WORKERS }, (_, i) =>
      runNode(worker, [cluster.seeds, `capx${i}`, String(startAt), String(warmupMs), String(durationMs), String(IN_FLIGHT)]),
    );
    await sleepUntil(measuredFrom);
    const before: ServerSample[] = await Promise.all(clients.map((c) => serverSample(c)));
    const procBefore = cluster.pids.map((pid) => procSample(pid).cpuMs);
    const machineBefore = machineTicks();
    await sleepUntil(end);
    const after: ServerSample[] = await Promise.all(clients.map((c) => serverSample(c)));
    const procAfter = cluster.pids.map((pid) => procSample(pid).cpuMs);
    const machineAfter = machineTicks();
    const results = (await Promise.all(runs)).map((out) => JSON.parse(out.trim().split('\n').pop() as string) as WorkerResult);
    const ops = results.reduce((sum, r) => sum + r.ops, 0);
    const errors = results.reduce((sum, r) => sum + r.errors, 0);
    if (ops === 0) throw new Error('capacity-cluster: no update completed in the window');
    const seconds = durationMs / 1000;
    const perMaster = before.map((b, i) => {
      const a = after[i] as ServerSample;
      // ops per master are not known to the client; the nested share of a master's GET/TIME calls is taken per op of
      // the whole run, which is exact for the sum over masters (every update's script runs on one master).
      return serverTime(b, a, 0);
    });
    const mainCores = perMaster.map((t) => t.cpuUsec / 1e6 / seconds);
    const procCores = procAfter.map((cpuMs, i) => (cpuMs - (procBefore[i] as number)) / 1000 / seconds);
    const masterCores = mainCores.reduce((sum, c) => sum + c, 0);
    const commandUsecAll = perMaster.reduce((sum, t) => sum + t.commandUsec, 0);
    // Take the commands the update scripts ran out of the sum once, with the per-op counts MONITOR found.
    const nested = update?.nested ?? {};
    const nestedUsec = Object.entries(nested).reduce((sum, [name, perOp]) => {
      const stats = perMaster.reduce(
        (acc, t) => {
          const c = t.byCommand[name];
          return c ? { calls: acc.calls + c.calls, usec: acc.usec + c.usec } : acc;
        },
        { calls: 0, usec: 0 },
      );
      return name === 'evalsha' || stats.calls === 0 ? sum : sum + (stats.usec * Math.min(stats.calls, perOp * ops)) / stats.calls;
    }, 0);
    const commandUsecPerOp = (commandUsecAll - nestedUsec) / ops;
    const cpuPerOp = (masterCores * seconds * 1e6) / ops;
    const workerCores = results.reduce((sum, r) => sum + r.cpuUsec, 0) / 1e6 / seconds;
    const machineCores = ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * 2;
    const measured = ops / seconds;
    const modelUsec = update?.cpuUsec ?? NaN;
    const predicted = (masterCores * 1e6) / modelUsec;
    const predictedFull = (MASTERS * 1e6) / modelUsec;
    const note =
      `${Math.round(measured)} updates/s over ${seconds} s (${errors} errors); masters' main threads busy ${mainCores.map((c) => c.toFixed(2)).join(' + ')} = ` +
      `${masterCores.toFixed(2)} cores (whole processes ${procCores.map((c) => c.toFixed(2)).join(' + ')}); load processes ${workerCores.toFixed(2)} cores; ` +
      `machine ${machineCores.toFixed(2)} of 2 cores busy; per update on the cluster: ${cpuPerOp.toFixed(1)} µs Redis CPU, ${commandUsecPerOp.toFixed(1)} µs in commands ` +
      `(single server: ${modelUsec.toFixed(1)} / ${(update?.commandUsec ?? NaN).toFixed(1)}); model at the measured master CPU: ${Math.round(predicted)} updates/s; ` +
      `model with a core per master: ${Math.round(predictedFull)} updates/s`;
    log(`capacity-cluster: ${note}`);
    const row: Comparison = {
      group: 'capacity-cluster',
      figure: `Redis Cluster of ${MASTERS} masters driven by ${WORKERS} load processes: update (expectedVersion) 1 KB vs the model`,
      size: `${MASTERS} masters, ${WORKERS}×${IN_FLIGHT} in flight`,
      subjectLabel: 'measured updates/s',
      baselineLabel: "model: masters' busy cores × 10⁶ ÷ Redis CPU µs per update (single server)",
      subject: { opsPerSec: measured, p50Ms: NaN, p99Ms: NaN, ops, errors },
      baseline: { opsPerSec: predicted, p50Ms: NaN, p99Ms: NaN, ops: 0, errors: 0 },
      ratio: measured / predicted,
      ratioMeaning: 'measured ÷ predicted at the CPU the masters got',
      note,
    };
    return {
      rows: [row],
      extra: { masters: MASTERS, workers: WORKERS, inFlight: IN_FLIGHT, seconds, ops, errors, mainCores, procCores, workerCores, machineCores, cpuPerOp, commandUsecPerOp, predicted, predictedFull },
    };
  } finally {
    for (const c of clients) c.disconnect();
    cluster.stop();
  }
}
