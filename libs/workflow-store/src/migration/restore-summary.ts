/** What an import or migration did (or, in a dry run, would do), per workflow line. */
export interface RestoreSummary {
  /** Workflow lines handled so far. */
  processed: number;
  /** Written to the target (absent there, or older there). */
  copied: number;
  /** The target already holds this version: nothing to do (a repeated run lands here). */
  skippedSame: number;
  /** The target holds a newer version, which is kept. */
  skippedNewer: number;
  /** Already expired in the source: not copied. */
  skippedExpired: number;
  /** Unusable lines and refused writes. */
  failed: number;
}

/** One line that could not be copied, with its line number and why. */
export interface RestoreFailure {
  line: number;
  id?: string;
  reason: string;
}

export function emptySummary(): RestoreSummary {
  return { processed: 0, copied: 0, skippedSame: 0, skippedNewer: 0, skippedExpired: 0, failed: 0 };
}

/** `copied 10000, skipped-same 0, skipped-newer 0, skipped-expired 3, failed 0`. */
export function formatSummary(summary: RestoreSummary): string {
  return [
    `copied ${summary.copied}`,
    `skipped-same ${summary.skippedSame}`,
    `skipped-newer ${summary.skippedNewer}`,
    `skipped-expired ${summary.skippedExpired}`,
    `failed ${summary.failed}`,
  ].join(', ');
}
