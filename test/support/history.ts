/**
 * Per-workflow history recording and checking (RELIABILITY.md "History checks" H1–H4), with no external checker:
 * every workflow is an independent register with a version counter, so each is checked on its own.
 *
 * Each logical write ("operation") has its own key (the Idempotency-Key) and adds its own mark to the state, so
 * the final state tells which operations were applied and the version tells how many applications there were:
 * an operation applied twice raises the version without adding a mark.
 */

/** ok = the server said it was applied; fail = it said nothing was written; unknown = no answer, or outcome-unknown. */
export type Outcome = 'ok' | 'fail' | 'unknown';

export interface WriteEvent {
  id: string;
  /** The operation (Idempotency-Key); retries of one operation share it. */
  op: string;
  /** The mark this operation adds to the state (a top-level state member). */
  mark: string;
  outcome: Outcome;
  /** Version the server answered with (ok only). */
  version?: number;
  start: number;
  end: number;
}

export interface ReadEvent {
  id: string;
  /** null = 404. */
  version: number | null;
  start: number;
  end: number;
}

/** What the store holds for a workflow at the end (read after the faults are over). */
export interface FinalState {
  version: number;
  marks: ReadonlySet<string>;
}

export interface HistorySummary {
  workflows: number;
  operations: number;
  /** Operations with at least one ok answer. */
  acknowledged: number;
  /** Operations never acknowledged but applied (their write was sent, its reply lost). */
  appliedUnknown: number;
  /** Acknowledged operations whose mark is missing from the final state. */
  lost: number;
  /** Applications beyond one per applied operation (version increments without a new mark). */
  duplicates: number;
  /** Every broken rule, with the workflow and the events involved; empty when H1–H4 hold. */
  violations: string[];
}

export class History {
  readonly writes: WriteEvent[] = [];
  readonly reads: ReadEvent[] = [];

  write(event: WriteEvent): void {
    this.writes.push(event);
  }

  read(event: ReadEvent): void {
    this.reads.push(event);
  }

  /**
   * Checks every workflow against its final state. `initialVersion` is the version each workflow had before the
   * recorded operations (e.g. 1 after its create).
   * H1 no two acknowledged operations produced the same version; H2 final version − initial = acknowledged +
   * applied-unknown, within [#ok, #ok + #unknown] (and no operation answered only "nothing written" was applied);
   * H3 every acknowledged operation's mark is in the final state; H4 no read that started after an acknowledged
   * write ended returned an older version.
   */
  check(finals: ReadonlyMap<string, FinalState>, initialVersion: number): HistorySummary {
    const summary: HistorySummary = { workflows: 0, operations: 0, acknowledged: 0, appliedUnknown: 0, lost: 0, duplicates: 0, violations: [] };
    const ids = new Set([...this.writes.map((w) => w.id), ...this.reads.map((r) => r.id)]);
    for (const id of ids) {
      summary.workflows += 1;
      const final = finals.get(id);
      if (!final) {
        summary.violations.push(`${id}: no final state read`);
        continue;
      }
      this.checkOne(id, final, initialVersion, summary);
    }
    return summary;
  }

  private checkOne(id: string, final: FinalState, initialVersion: number, summary: HistorySummary): void {
    const writes = this.writes.filter((w) => w.id === id);
    const ops = new Map<string, WriteEvent[]>();
    for (const w of writes) ops.set(w.op, [...(ops.get(w.op) ?? []), w]);

    let acked = 0;
    let unknownOnly = 0;
    let appliedUnknown = 0;
    const firstOk: WriteEvent[] = [];
    for (const [op, events] of ops) {
      const ok = events.find((e) => e.outcome === 'ok');
      const mark = events[0]?.mark ?? '';
      const applied = final.marks.has(mark);
      if (ok) {
        acked += 1;
        firstOk.push(ok);
        if (!applied) {
          summary.lost += 1;
          summary.violations.push(`H3 ${id}: operation ${op} was acknowledged (version ${ok.version}) but its mark is not in the final state`);
        }
      } else if (events.some((e) => e.outcome === 'unknown')) {
        unknownOnly += 1;
        if (applied) appliedUnknown += 1;
      } else if (applied) {
        summary.violations.push(`H2 ${id}: operation ${op} was answered "nothing was written" every time, yet it was applied`);
      }
    }
    summary.operations += ops.size;
    summary.acknowledged += acked;
    summary.appliedUnknown += appliedUnknown;

    // H1: versions of acknowledged operations are distinct.
    const byVersion = new Map<number, string>();
    for (const w of firstOk) {
      const other = byVersion.get(w.version ?? -1);
      if (other !== undefined) summary.violations.push(`H1 ${id}: operations ${other} and ${w.op} both acknowledged version ${w.version}`);
      byVersion.set(w.version ?? -1, w.op);
    }

    // H2: the version counts exactly the applied operations; anything more is a duplicate application.
    const applications = final.version - initialVersion;
    const distinctApplied = acked - writesLost(firstOk, final) + appliedUnknown;
    const duplicates = applications - distinctApplied;
    if (duplicates > 0) summary.duplicates += duplicates;
    if (applications < acked || applications > acked + unknownOnly || duplicates !== 0) {
      summary.violations.push(
        `H2 ${id}: final version ${final.version} − ${initialVersion} = ${applications} applications; ` +
          `acknowledged ${acked}, unknown ${unknownOnly} (of which applied ${appliedUnknown}), duplicates ${duplicates}`,
      );
    }

    // H4: a read never goes back behind a write acknowledged before it started.
    for (const r of this.reads.filter((e) => e.id === id)) {
      for (const w of firstOk) {
        if (w.end < r.start && (r.version === null || r.version < (w.version ?? 0))) {
          summary.violations.push(`H4 ${id}: read at ${r.start} saw version ${r.version}, older than ${w.version} acknowledged at ${w.end}`);
        }
      }
    }
  }
}

function writesLost(acked: WriteEvent[], final: FinalState): number {
  return acked.filter((w) => !final.marks.has(w.mark)).length;
}

/** p-th percentile (0–100) of a list of numbers; 0 for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}
