import type { BenchConfig } from '../lib/bench-config.js';
import { deliveryCost } from '../lib/capacity-delivery.js';
import { capacityOps } from '../lib/capacity-ops.js';
import { redisRoundTrips } from '../lib/checkpoint-round-trips.js';
import { bytesOnly, type Comparison } from '../lib/comparison.js';
import { measure } from '../lib/measure.js';
import type { RedisProcess } from '../lib/redis-process.js';
import { checkScriptAccounting, serverSample, serverTime, type ServerTime } from '../lib/server-time.js';

/** Operations one at a time under MONITOR, to count the commands their scripts run (taken out of the µs). */
const MONITORED_OPS = 50;
/** Paced writes a second of the event-delivery figures: the feed-latency figure's rate, and one where reads batch more. */
const DELIVERY_RATES = [1000, 5000];

/** Per-op Redis time, for the capacity model (extra of the JSON results). */
export interface OpCost {
  key: string;
  label: string;
  opsPerSec: number;
  commandUsec: number;
  cpuUsec: number;
  byCommand: Record<string, { calls: number; usec: number }>;
  /** Commands its scripts run per op (MONITOR), to count them once elsewhere (capacity-cluster). */
  nested: Record<string, number>;
}

const f1 = (x: number): string => x.toFixed(1);
const commandsText = (t: ServerTime, ops: number): string =>
  Object.entries(t.byCommand)
    .map(([name, c]) => `${name} ${(c.calls / ops).toFixed(2)}×${f1(c.usec / c.calls)} µs`)
    .join(', ');

function row(key: string, label: string, perOp: ServerTime, note: string): Comparison {
  return {
    group: 'capacity',
    figure: `Redis time per ${label}`,
    size: key,
    subjectLabel: 'µs inside commands per op (INFO commandstats, script-run commands counted once)',
    baselineLabel: 'Redis main-thread CPU per op (INFO cpu: commands + socket I/O + parsing)',
    subject: bytesOnly(perOp.commandUsec),
    baseline: bytesOnly(perOp.cpuUsec),
    ratio: perOp.commandUsec / perOp.cpuUsec,
    ratioMeaning: 'share of Redis CPU spent inside commands',
    unit: { subject: 'µs/op in commands', baseline: 'µs/op Redis CPU' },
    note,
  };
}

/**
 * Redis server time per store operation (see bench/lib/server-time.ts for how script time is counted once): each
 * operation runs alone on the bench Redis (64 in flight; list pages one at a time; checkpoint puts 32), and the
 * deltas of INFO commandstats and INFO cpu around its run (warm-up included) are divided by the calls made. Then the
 * cost of delivering an event to a watching replica (bench/lib/capacity-delivery.ts).
 */
export async function capacityScenario(config: BenchConfig, redis: RedisProcess, log: (line: string) => void): Promise<{ rows: Comparison[]; costs: OpCost[] }> {
  const stats = redis.client();
  const rows: Comparison[] = [];
  const costs: OpCost[] = [];
  try {
    const accounting = await checkScriptAccounting(stats, 'capacity-scratch');
    log(`capacity: ${accounting}`);
    log('capacity: preparing stores (list store: 12 800 workflows of 1 KB)');
    const ops = await capacityOps(redis.url, config.redisLoad, config.listLoad);
    try {
      for (const op of ops) {
        const monitored = await redisRoundTrips(redis, MONITORED_OPS, op.call);
        let calls = 0;
        const counted = async (w: number): Promise<void> => {
          await op.call(w);
          calls++;
        };
        await measure(counted, { ...op.load, durationMs: 300, warmupMs: 0 }); // JIT, before anything is counted
        calls = 0;
        const before = await serverSample(stats);
        const m = await measure(counted, op.load);
        const after = await serverSample(stats);
        if (m.errors > 0) throw new Error(`capacity ${op.key}: ${m.errors} calls failed`);
        const total = serverTime(before, after, calls, monitored.inScripts.byCommand);
        const perOp: ServerTime = { commandUsec: total.commandUsec / calls, cpuUsec: total.cpuUsec / calls, byCommand: total.byCommand };
        log(`capacity: ${op.key} ${f1(perOp.commandUsec)} µs in commands, ${f1(perOp.cpuUsec)} µs Redis CPU per op (${Math.round(m.opsPerSec)} ops/s)`);
        costs.push({ key: op.key, label: op.label, opsPerSec: m.opsPerSec, commandUsec: perOp.commandUsec, cpuUsec: perOp.cpuUsec, byCommand: total.byCommand, nested: monitored.inScripts.byCommand });
        const scripts = Object.entries(monitored.inScripts.byCommand).map(([name, n]) => `${name} ${n.toFixed(1)}`).join(', ');
        rows.push(
          row(
            op.key,
            op.label,
            perOp,
            `${f1(perOp.commandUsec)} µs in commands / ${f1(perOp.cpuUsec)} µs Redis CPU per op over ${calls} calls (${Math.round(m.opsPerSec)} ops/s, ` +
              `${op.load.concurrency} in flight); sent per op: ${commandsText(total, calls)}; run by its scripts per op (MONITOR, ${MONITORED_OPS} ops): ${scripts || 'none'}`,
          ),
        );
      }
    } finally {
      for (const op of ops) await op.close();
    }
    const seconds = config.quick ? 3 : 8;
    for (const rate of DELIVERY_RATES) {
      log(`capacity: event delivery to a watching replica, ${rate} writes/s for ${seconds} s, with and without the watcher`);
      const d = await deliveryCost(redis, stats, rate, seconds);
      if (d.delivered < d.writes) throw new Error(`capacity delivery: ${d.writes} writes but ${d.delivered} events delivered`);
      const perEvent: ServerTime = { commandUsec: d.watcher.commandUsec, cpuUsec: d.cpuDeltaPerEvent, byCommand: d.watcher.byCommand };
      const key = `delivery-${rate}`;
      costs.push({ key, label: `event delivered to a watching replica, ${rate} writes/s`, opsPerSec: rate, commandUsec: perEvent.commandUsec, cpuUsec: perEvent.cpuUsec, byCommand: d.watcher.byCommand, nested: {} });
      rows.push(
        row(
          key,
          `event delivered to a watching replica (${rate} writes/s)`,
          perEvent,
          `${f1(perEvent.commandUsec)} µs in the reader's commands per event delivered (${d.delivered} delivered of ${d.writes} writes): ${commandsText(
            { commandUsec: 0, cpuUsec: 0, byCommand: d.watcher.byCommand },
            d.delivered,
          )}; Redis CPU with the watcher minus without, per event: ${f1(d.cpuDeltaPerEvent)} µs (a difference of two runs: noisy); the writes' own EVALSHA (XADD, SPUBLISH included) ${f1(d.writeUsecPerWrite)} µs each`,
        ),
      );
    }
  } finally {
    stats.disconnect();
  }
  return { rows, costs };
}
