import { formatSummary, openWorkflowFile, restoreEntries, type RestoreFailure } from '#workflow-store';
import { CliError, EXIT_FAILED, EXIT_OK } from './cli-error.js';
import { costOf, type CliOutput } from './io/cli-output.js';
import { openInput } from './io/open-input.js';
import type { OpenedStore } from './io/open-store.js';
import { startProgress } from './io/progress.js';

/** Failed lines printed one by one; beyond this only their number is given. */
const MAX_FAILURES_SHOWN = 50;

export interface RestoreRun {
  /** `migrate` or `import`, for messages. */
  verb: string;
  source: string;
  /** Opens the target; called only once the source turned out to be readable. */
  openTarget: () => Promise<OpenedStore>;
  /** Tenant of the lines that name none (an export names its tenant on every line). */
  tenant: string;
  dryRun: boolean;
  output: CliOutput;
}

/**
 * Reads an export or snapshot (file, stdin or URL) and restores it into the target: prints progress, each failed
 * line, and one summary line; returns the exit code (0 only when nothing failed).
 */
export async function runRestore(run: RestoreRun): Promise<number> {
  const { output } = run;
  const input = await openInput(run.source);
  const file = await openWorkflowFile(input.stream, input.name).catch((error: Error) => {
    input.stream.destroy();
    throw new CliError(error.message);
  });
  let target: OpenedStore;
  try {
    target = await run.openTarget();
  } catch (error) {
    input.stream.destroy();
    throw error;
  }
  const startedAt = performance.now();
  const progress = startProgress(run.dryRun ? `${run.verb} (dry run)` : run.verb);
  let shown = 0;
  const onFailure = (failure: RestoreFailure): void => {
    shown += 1;
    if (shown <= MAX_FAILURES_SHOWN) output.message(`${input.name}: ${failureText(failure)}`);
  };
  try {
    const result = await restoreEntries(file.entries, target.store.forTenant(run.tenant), {
      dryRun: run.dryRun,
      onFailure,
      onProgress: (s) => progress.update(s.processed, file.header.count, `copied ${s.copied} failed ${s.failed}`),
    });
    progress.stop();
    const { summary } = result;
    if (shown > MAX_FAILURES_SHOWN) output.message(`… and ${shown - MAX_FAILURES_SHOWN} more failed lines`);
    if (result.fileError) output.message(`error: ${result.fileError.message}`);
    if (result.stoppedBy) {
      output.message(`error: stopped after ${summary.processed} workflows, the target failed: ${result.stoppedBy.message}; re-running is safe`);
    }
    const did = run.dryRun ? 'would be' : 'were';
    output.summary(
      `${run.verb}${run.dryRun ? ' (dry run, nothing written)' : ''}: ${summary.processed} workflows read from ${input.name} ` +
        `into ${target.name}; ${formatSummary(summary)} (${summary.copied} ${did} copied; ${costOf(startedAt, summary.processed)})`,
    );
    const clean = summary.failed === 0 && !result.fileError && !result.stoppedBy;
    return clean ? EXIT_OK : EXIT_FAILED;
  } finally {
    progress.stop();
    input.stream.destroy();
    await target.store.close();
  }
}

function failureText(failure: RestoreFailure): string {
  // Reasons from the file reader already start with "line N:".
  if (failure.reason.startsWith(`line ${failure.line}:`)) return failure.reason;
  return `line ${failure.line}${failure.id ? ` (${failure.id})` : ''}: ${failure.reason}`;
}
