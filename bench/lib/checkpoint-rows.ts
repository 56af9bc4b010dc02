import type { RoundTrips } from './checkpoint-round-trips.js';
import { roundTripText } from './checkpoint-round-trips.js';
import { bytesOnly, throughputComparison, type Comparison } from './comparison.js';
import type { Measurement } from './measure.js';
import { roundRatios } from './rotated-runs.js';

export const CHECKPOINT_OPS = ['put', 'putWrites', 'getTuple'] as const;
export type CheckpointOp = (typeof CHECKPOINT_OPS)[number];

/** CPU µs per call: this process, the saver's server (Redis, or every postgres process), and both. */
export interface CpuPerCall {
  clientUs: number;
  serverUs: number;
  totalUs: number;
}

/** One saver's figure for one operation: medians, the runs they are taken from, CPU per call. */
export interface CheckpointFigure {
  median: Measurement;
  runs: Measurement[];
  cpu: CpuPerCall;
}

export interface CheckpointRowInputs {
  /** Keyed `<saver key> <op>` (saver keys: ours, memory, pg-10, pg-<concurrency>, pg-async). */
  figures: Map<string, CheckpointFigure>;
  labels: Map<string, string>;
  concurrency: number;
  threads: number;
  /** Calls counted one at a time for the round trips. */
  countedOps: number;
  trips: { ours: Record<CheckpointOp, RoundTrips & { inScripts: RoundTrips }>; postgres: Record<CheckpointOp, RoundTrips> };
  /** Ours: µs inside EVALSHA per call (INFO commandstats). */
  evalshaUs: Record<CheckpointOp, number>;
  sizes: { checkpoint: number; writes: number };
  postgres: { version: string; settings: string };
}

const us = (v: number): string => v.toFixed(0);
const cpuText = (c: CpuPerCall, server: string): string => `${us(c.totalUs)} (client ${us(c.clientUs)}${server ? ` + ${server} ${us(c.serverUs)}` : ''})`;

/** The PostgresSaver pool (10 or `concurrency` connections) with the higher median throughput for `op`, and the other. */
function fasterPool(inputs: CheckpointRowInputs, op: CheckpointOp): { best: string; other: string } {
  const at = (key: string): number => (inputs.figures.get(`${key} ${op}`) as CheckpointFigure).median.opsPerSec;
  const big = `pg-${inputs.concurrency}`;
  return at('pg-10') >= at(big) ? { best: 'pg-10', other: big } : { best: big, other: 'pg-10' };
}

/**
 * The rows of the checkpoint group: ours against PostgresSaver (its faster pool; target ≥ 3× on `put`), against
 * PostgresSaver with synchronous_commit=off and against MemorySaver (information), CPU per call, round trips.
 */
export function checkpointRows(inputs: CheckpointRowInputs): Comparison[] {
  const figure = (key: string, op: CheckpointOp): CheckpointFigure => inputs.figures.get(`${key} ${op}`) as CheckpointFigure;
  const label = (key: string): string => inputs.labels.get(key) ?? key;
  const size = (op: CheckpointOp): string =>
    op === 'putWrites' ? `3 writes (${inputs.sizes.writes} B), ${inputs.threads} threads` : `${inputs.sizes.checkpoint} B checkpoint, ${inputs.threads} threads`;
  const rows: Comparison[] = [];
  const row = (op: CheckpointOp, baselineKey: string, title: string, minRatio: number | undefined, extra = ''): void => {
    const [subject, baseline] = [figure('ours', op), figure(baselineKey, op)];
    rows.push(
      throughputComparison(
        {
          group: 'checkpoint',
          figure: title,
          size: size(op),
          subjectLabel: label('ours'),
          baselineLabel: label(baselineKey),
          subject: subject.median,
          baseline: baseline.median,
          note: `ratio per round ${roundRatios(subject.runs, baseline.runs)}${extra}`,
        },
        minRatio,
      ),
    );
  };
  for (const op of CHECKPOINT_OPS) {
    const { best, other } = fasterPool(inputs, op);
    const o = figure(other, op).median;
    const notes = [
      `${label(other)}: ${us(o.opsPerSec)} ops/s, p99 ${o.p99Ms.toFixed(1)} ms`,
      `Redis commands per call ${roundTripText(inputs.trips.ours[op])}, SQL statements per call of PostgresSaver ${inputs.trips.postgres[op].perOp.toFixed(2)}`,
      `ours: ${us(inputs.evalshaUs[op])} µs inside EVALSHA per call (commandstats)`,
      ...(op === 'put' ? [`PostgreSQL ${inputs.postgres.version}, ${inputs.postgres.settings}`] : []),
    ];
    row(op, best, `${op}: WorkflowCheckpointSaver vs PostgresSaver`, op === 'put' ? 3 : undefined, `; ${notes.join('; ')}`);
  }
  for (const op of ['put', 'putWrites'] as const) {
    row(op, 'pg-async', `${op}: WorkflowCheckpointSaver vs PostgresSaver, synchronous_commit=off`, undefined, '; not durable on a crash (the bench Redis has no persistence at all)');
  }
  for (const op of CHECKPOINT_OPS) row(op, 'memory', `${op}: WorkflowCheckpointSaver vs MemorySaver (the ceiling)`, undefined);
  for (const op of CHECKPOINT_OPS) {
    const { best } = fasterPool(inputs, op);
    const [ours, pg] = [figure('ours', op).cpu, figure(best, op).cpu];
    rows.push({
      group: 'checkpoint',
      figure: `${op}: CPU per call, client + server (lower is better)`,
      size: size(op),
      subjectLabel: label('ours'),
      baselineLabel: label(best),
      subject: bytesOnly(ours.totalUs),
      baseline: bytesOnly(pg.totalUs),
      ratio: ours.totalUs / pg.totalUs,
      ratioMeaning: 'CPU µs ÷ baseline CPU µs',
      unit: { subject: 'µs CPU', baseline: 'µs CPU' },
      note: `µs per call: ours ${cpuText(ours, 'redis-server')}; PostgresSaver ${cpuText(pg, 'postgres')}; MemorySaver ${cpuText(figure('memory', op).cpu, '')}`,
    });
  }
  for (const op of ['put', 'putWrites'] as const) {
    const [ours, pg] = [inputs.trips.ours[op], inputs.trips.postgres[op]];
    rows.push({
      group: 'checkpoint',
      figure: `Redis round trips per ${op} (MONITOR, ${inputs.countedOps} calls one at a time)`,
      size: size(op),
      subjectLabel: label('ours'),
      baselineLabel: 'PostgresSaver: SQL statements per call (each one round trip)',
      subject: bytesOnly(ours.perOp),
      baseline: bytesOnly(pg.perOp),
      ratio: ours.perOp / pg.perOp,
      ratioMeaning: 'round trips ÷ baseline statements',
      target: '= 1',
      pass: ours.perOp === 1,
      unit: { subject: `round trips/${op}`, baseline: `statements/${op}` },
      note: `from clients ${roundTripText(ours)}; run inside the script ${roundTripText(ours.inScripts)}`,
    });
  }
  return rows;
}
