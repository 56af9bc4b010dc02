import type { RestoreOutcome } from '../../workflow.types.js';

/** What the upgrade did (or, in a dry run, would do) with one tenant's workflows. */
export interface UpgradeCounts {
  /** Written to the target layout (absent there, or older there). */
  moved: number;
  /** The target already held this version (a re-run after an interruption lands here). */
  skippedSame: number;
  /** The target held a newer version, which is kept. */
  skippedNewer: number;
  /** Expired in the source (record gone, only its index entries left): nothing to copy. */
  skippedExpired: number;
  /** Unreadable or refused: left in the source; the tenant stays marked as unfinished. */
  failed: number;
}

export interface TenantUpgrade {
  tenant: string;
  /** Where its data came from: `v1`, `v2/16` (format v2 with 16 shards), `v2/16 prefix old`... */
  from: string[];
  /** Where it went: `v2/64`, or `v2/64 prefix new` with `--to-prefix`. */
  to: string;
  counts: UpgradeCounts;
  /** The format record now says `{ format: 2, shards: <target> }` (never in a dry run). */
  finished: boolean;
}

export interface UpgradeSummary {
  tenants: TenantUpgrade[];
  totals: UpgradeCounts;
  /** Tenants already in v2 with the target shard count and nothing left to move. */
  alreadyCurrent: number;
  /** Keys of the old layouts removed once their tenant was moved: v1 idempotency logs, stale index entries... */
  leftoverKeysRemoved: number;
  /** v2 idempotency keys (Idempotency-Key memory) copied into the new layout with their remaining TTL. */
  idempotencyKeysCarried: number;
  /** Set when the run stopped early (Redis unreachable...): a re-run continues where it stopped. */
  stoppedBy?: Error;
}

export function emptyCounts(): UpgradeCounts {
  return { moved: 0, skippedSame: 0, skippedNewer: 0, skippedExpired: 0, failed: 0 };
}

export function countOutcome(counts: UpgradeCounts, outcome: RestoreOutcome): void {
  if (outcome === 'written') counts.moved += 1;
  else if (outcome === 'skipped-same') counts.skippedSame += 1;
  else if (outcome === 'skipped-newer') counts.skippedNewer += 1;
  else counts.skippedExpired += 1;
}

export function addCounts(into: UpgradeCounts, from: UpgradeCounts): void {
  into.moved += from.moved;
  into.skippedSame += from.skippedSame;
  into.skippedNewer += from.skippedNewer;
  into.skippedExpired += from.skippedExpired;
  into.failed += from.failed;
}

/** Workflows handled so far, whatever became of them. */
export function processedOf(counts: UpgradeCounts): number {
  return counts.moved + counts.skippedSame + counts.skippedNewer + counts.skippedExpired + counts.failed;
}

/** `moved 10000, skipped-same 0, skipped-newer 0, skipped-expired 3, failed 0`. */
export function formatUpgradeCounts(counts: UpgradeCounts): string {
  return [
    `moved ${counts.moved}`,
    `skipped-same ${counts.skippedSame}`,
    `skipped-newer ${counts.skippedNewer}`,
    `skipped-expired ${counts.skippedExpired}`,
    `failed ${counts.failed}`,
  ].join(', ');
}
