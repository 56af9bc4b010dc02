import { bytesOnly, type Comparison } from './comparison.js';
import type { FanoutRun, FanoutShape } from './fanout-run.js';
import { latencyText } from './latency-summary.js';
import type { Measurement } from './measure.js';
import { median } from './stats.js';

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
const pct = (cores: number): string => `${(cores * 100).toFixed(0)} %`;

/** The run's latency, every failure counted as an error: missed deliveries, refused writes, resets, broken streams. */
export function withFailures(r: FanoutRun): Measurement {
  const c = r.clients;
  return { ...c.latency, errors: c.latency.errors + c.writes.failed + c.writes.unanswered + c.tally.resets + c.broken };
}

/** Server CPU µs per frame delivered: from the first measured write until every client had every event. */
const cpuPerFrameUs = (r: FanoutRun): number => (r.serverCpuMs * 1000) / r.clients.latency.ops;

/** One run in a line: counts, latency, how long delivery took, the server's CPU and RSS, the client process's CPU. */
export function runText(label: string, r: FanoutRun): string {
  const c = r.clients;
  const expected = c.latency.ops + c.latency.errors;
  return (
    `${label}: ${c.writes.acknowledged} writes, ${expected} deliveries expected, ${c.latency.errors} missed (${c.clientsMissing} clients short), ` +
    `${c.tally.resets} resets, ${c.broken} streams broken, ${c.duplicates} duplicates; latency ${latencyText(c.latency)}; ` +
    `all delivered ${(r.deliveryMs / 1000).toFixed(1)} s after the first write; server CPU ${pct(r.serverCores)} during the writes, ` +
    `${cpuPerFrameUs(r).toFixed(1)} µs a frame; RSS ${mib(r.before.rssBytes)} MiB before the clients, ${mib(r.idle.rssBytes)} MiB with them idle, ` +
    `${mib(r.serverPeakRssBytes)} MiB peak during; client process ${pct(r.clientCores)}; pacing lag ≤ ${r.pacingLagMs.toFixed(1)} ms` +
    (r.warmBacklog > 0 ? `; ${r.warmBacklog} warm-up deliveries still missing at the start` : '') +
    (r.starved > 0 ? `, ${r.starved} writes not sent (pool busy)` : '') +
    (c.writes.failed + c.writes.unanswered > 0 ? `, ${c.writes.failed} writes refused, ${c.writes.unanswered} unanswered` : '')
  );
}

/**
 * The fan-out figure's rows for one shape: delivery (every client gets every event; latency medians of the runs
 * against the bare server's) and the server's CPU against the bare server's in the same run; the API's peak RSS
 * during the writes against its own once started (`freshApiRssBytes`).
 */
export function fanoutRows(
  shape: FanoutShape,
  paired: { subject: Measurement; baseline: Measurement },
  apiRuns: FanoutRun[],
  bareRuns: FanoutRun[],
  freshApiRssBytes: number,
): Comparison[] {
  const size = `${shape.clients} clients, ${shape.rate} events/s`;
  const missed = apiRuns.reduce((sum, r) => sum + r.clients.latency.errors, 0);
  const runsNote = `${apiRuns.map((r, i) => runText(`API run ${i + 1}`, r)).join('; ')}; ${bareRuns.map((r, i) => runText(`bare run ${i + 1}`, r)).join('; ')}`;
  const cpu = { subject: median(apiRuns.map((r) => r.serverCores)), baseline: median(bareRuns.map((r) => r.serverCores)) };
  const peakRss = median(apiRuns.map((r) => r.serverPeakRssBytes));
  return [
    {
      group: 'feed-fanout',
      figure: 'SSE fan-out: every client gets every event',
      size,
      subjectLabel: 'API GET /events, events read from the shard streams (store.save from the bench)',
      baselineLabel: 'bare node:http SSE server fanning out one Redis SUBSCRIBE',
      subject: paired.subject,
      baseline: paired.baseline,
      ratio: paired.subject.p99Ms / paired.baseline.p99Ms,
      ratioMeaning: 'p99 ms ÷ baseline p99 ms',
      target: 'none missed',
      pass: paired.subject.errors === 0,
      note:
        `latency write sent → frame read, over every (event, client) pair, medians of the runs; ${missed} deliveries missed over ${apiRuns.length} runs ` +
        `(not received within 60 s of the last write); ops/s = deliveries of the measured writes ÷ the seconds of writes (late ones included)`,
    },
    {
      group: 'feed-fanout',
      figure: 'SSE fan-out: server CPU',
      size,
      subjectLabel: 'API process CPU, share of one core, over the measured writes',
      baselineLabel: 'bare SSE server CPU',
      subject: bytesOnly(cpu.subject * 100),
      baseline: bytesOnly(cpu.baseline * 100),
      ratio: cpu.subject / cpu.baseline,
      ratioMeaning: 'CPU ÷ baseline CPU',
      unit: { subject: '% of a core', baseline: '% of a core' },
      note:
        `server CPU µs per delivered frame (from the first measured write until every client had every event), medians: ` +
        `API ${median(apiRuns.map(cpuPerFrameUs)).toFixed(1)}, bare ${median(bareRuns.map(cpuPerFrameUs)).toFixed(1)}; ` +
        runsNote,
    },
    {
      group: 'feed-fanout',
      figure: 'SSE fan-out: API RSS during vs fresh',
      size,
      subjectLabel: 'API process peak RSS during the writes (median of the runs)',
      baselineLabel: 'the same process once started, before any client',
      subject: bytesOnly(peakRss / 2 ** 20),
      baseline: bytesOnly(freshApiRssBytes / 2 ** 20),
      ratio: peakRss / freshApiRssBytes,
      ratioMeaning: 'peak RSS during ÷ RSS of the fresh process',
      unit: { subject: 'MiB', baseline: 'MiB' },
      note:
        `per run before the clients ${apiRuns.map((r) => mib(r.before.rssBytes)).join(', ')} MiB, with ${shape.clients} idle clients ` +
        `${apiRuns.map((r) => mib(r.idle.rssBytes)).join(', ')} MiB, peak during ${apiRuns.map((r) => mib(r.serverPeakRssBytes)).join(', ')} MiB ` +
        `(one API process serves every run, so later runs start from the last one's heap); the bare server (no per-client bound: it buffers ` +
        `whatever a client has not read) ${bareRuns.map((r) => mib(r.before.rssBytes)).join(', ')} / ${bareRuns.map((r) => mib(r.idle.rssBytes)).join(', ')} / ` +
        `${bareRuns.map((r) => mib(r.serverPeakRssBytes)).join(', ')} MiB`,
    },
  ];
}
