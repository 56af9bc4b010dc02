import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import type { Comparison } from './lib/comparison.js';

export interface RunInfo {
  date: string;
  mode: 'full' | 'quick';
  command: string;
  durationSeconds: number;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; redis: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  redisSettings: string;
  commit: string;
  rounds: number;
  /** Rounds of the HTTP figures, when they differ from `rounds`. */
  httpRounds?: number;
  extra: Record<string, unknown>;
}

export function machineInfo(redisVersion: string, loadAtStart: number[]): RunInfo['machine'] {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    redis: redisVersion,
    loadAverageAtStart: loadAtStart.map((l) => Math.round(l * 100) / 100),
    loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}

const n = (value: number, digits = 0): string =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–';
const ms = (value: number): string => (Number.isFinite(value) ? (value < 10 ? n(value, 2) : n(value, 1)) : '–');

function verdict(row: Comparison): string {
  if (row.pass === undefined) return 'info';
  return row.pass ? 'pass' : '**miss**';
}

/**
 * The ratio with two decimals, or as many more as it takes not to read as meeting a "≥ x" target it misses (0.698
 * rounds to 0.70 against ≥ 0.7).
 */
function ratioText(row: Comparison): string {
  const min = /^≥ ([\d.]+)$/.exec(row.target ?? '');
  let digits = 2;
  while (min && row.pass === false && digits < 6 && Number(row.ratio.toFixed(digits)) >= Number(min[1])) digits += 1;
  return n(row.ratio, digits);
}

/** The results as a Markdown table (store figures, baseline figures, ratio, target). */
export function markdownTable(rows: Comparison[]): string {
  const lines = [
    '| figure | size | store ops/s | p50 ms | p99 ms | baseline | baseline ops/s | p50 ms | p99 ms | ratio | target | result |',
    '|---|---|--:|--:|--:|---|--:|--:|--:|--:|---|---|',
  ];
  for (const row of rows) {
    const unit = row.unit;
    const subject = unit ? [`${n(row.subject.opsPerSec)} ${unit.subject}`, '', ''] : [n(row.subject.opsPerSec), ms(row.subject.p50Ms), ms(row.subject.p99Ms)];
    const baseline = unit ? [`${n(row.baseline.opsPerSec)} ${unit.baseline}`, '', ''] : [n(row.baseline.opsPerSec), ms(row.baseline.p50Ms), ms(row.baseline.p99Ms)];
    const errors = row.subject.errors + row.baseline.errors;
    lines.push(
      `| ${row.figure}${errors > 0 ? ` (${errors} errors)` : ''} | ${row.size} | ${subject.join(' | ')} | ${row.baselineLabel} | ${baseline.join(' | ')} | ${ratioText(row)}× | ${row.target ?? '–'} | ${verdict(row)} |`,
    );
  }
  return lines.join('\n');
}

export function notes(rows: Comparison[]): string {
  return rows
    .filter((row) => row.note)
    .map((row) => `- ${row.figure}, ${row.size}: ${row.note}`)
    .join('\n');
}

export function printSummary(rows: Comparison[], info: RunInfo): void {
  process.stdout.write(`\nworkflow-store benchmark (${info.mode}, ${roundsText(info)}), ${info.date}\n`);
  process.stdout.write(`${info.machine.cores} × ${info.machine.cpu}, Node ${info.machine.node}, Redis ${info.machine.redis}; ${info.redisSettings}\n`);
  process.stdout.write(`load average at start ${info.machine.loadAverageAtStart.join(' ')}, at end ${info.machine.loadAverageAtEnd.join(' ')}\n\n`);
  process.stdout.write(`${markdownTable(rows)}\n\n${notes(rows)}\n`);
}

export function writeJson(path: string, rows: Comparison[], info: RunInfo): void {
  mkdirSync(new URL('.', `file://${path}`).pathname, { recursive: true });
  writeFileSync(path, `${JSON.stringify({ ...info, results: rows }, null, 2)}\n`);
}

const BEGIN = '<!-- bench:results:begin (written by npm run bench) -->';
const END = '<!-- bench:results:end -->';

/** Replaces the generated block of BENCHMARKS.md (between the markers); the text around it is hand-written. */
export function updateBenchmarksMd(path: string, rows: Comparison[], info: RunInfo): void {
  const block = [
    BEGIN,
    '',
    `Run: ${info.date} (${info.durationSeconds.toFixed(0)} s), commit ${info.commit}, \`${info.command}\`, ${roundsText(info)} per figure.`,
    `Machine: ${info.machine.cores} × ${info.machine.cpu}, ${info.machine.memoryGiB} GiB, Node ${info.machine.node}, Redis ${info.machine.redis} (${info.redisSettings}).`,
    `Load average at start ${info.machine.loadAverageAtStart.join(' / ')}, at end ${info.machine.loadAverageAtEnd.join(' / ')} (1 / 5 / 15 min).`,
    '',
    markdownTable(rows),
    '',
    notes(rows),
    '',
    END,
  ].join('\n');
  const current = existsSync(path) ? readFileSync(path, 'utf8') : `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next = start >= 0 && end > start ? current.slice(0, start) + block + current.slice(end + END.length) : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, next);
}

/** "medians of 3 runs (HTTP: 5)", or "1 run". */
function roundsText(info: RunInfo): string {
  if (info.rounds === 1 && (info.httpRounds ?? 1) === 1) return '1 run';
  const http = info.httpRounds !== undefined && info.httpRounds !== info.rounds ? ` (HTTP figures: ${info.httpRounds})` : '';
  return `medians of ${info.rounds} runs${http}`;
}
