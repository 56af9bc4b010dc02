import { InvalidFileError } from '../errors/invalid-file.error.js';
import { OutcomeUnknownError } from '../errors/outcome-unknown.error.js';
import { StoreUnavailableError } from '../errors/store-unavailable.error.js';
import type { WorkflowStore } from '../workflow-store.js';
import type { RestoreOutcome, Workflow } from '../workflow.types.js';
import { emptySummary, type RestoreFailure, type RestoreSummary } from './restore-summary.js';
import type { FileEntry } from './workflow-file-reader.js';

/** Restores in flight at once: enough to hide the round trip to Redis, few enough not to crowd other clients. */
const DEFAULT_CONCURRENCY = 32;

export interface RestoreEntriesOptions {
  /** Only read the target and count what would happen. */
  dryRun?: boolean;
  concurrency?: number;
  /** Called after each line with the running totals (the same object each time: copy it to keep it). */
  onProgress?: (summary: RestoreSummary) => void;
  onFailure?: (failure: RestoreFailure) => void;
}

export interface RestoreEntriesResult {
  summary: RestoreSummary;
  /** Set when the whole file turned out unusable at the end (truncated, lines after the end line…). */
  fileError?: InvalidFileError;
  /** Set when the target became unreachable: the run stopped early; a re-run continues safely. */
  stoppedBy?: StoreUnavailableError | OutcomeUnknownError;
}

/**
 * Restores every workflow line into `target` (or, for a line naming a tenant, `target.forTenant(tenant)`) with
 * `restore`, or `restoreWithHistory` for a line that carries earlier versions (never overwrites an equal or newer
 * version, skips the expired; a skipped line writes none of its history either), `concurrency` at a time, so a
 * repeated run is harmless and copies nothing new. A bad line (a bad history entry included) or a refused write
 * counts as failed, writing nothing of that line, and the rest go on; an unreachable target stops the run, since
 * every further line would fail the same way.
 */
export async function restoreEntries(
  entries: AsyncIterable<FileEntry>,
  target: WorkflowStore,
  options: RestoreEntriesOptions = {},
): Promise<RestoreEntriesResult> {
  const summary = emptySummary();
  const result: RestoreEntriesResult = { summary };
  const limit = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const inFlight = new Set<Promise<void>>();

  const fail = (failure: RestoreFailure): void => {
    summary.failed += 1;
    options.onFailure?.(failure);
  };
  const handle = async (entry: FileEntry): Promise<void> => {
    if (entry.kind === 'invalid') {
      fail({ line: entry.line, reason: entry.reason });
    } else {
      try {
        // A line that names its tenant goes back to that tenant; the others to `target`.
        const store = entry.tenant === undefined ? target : target.forTenant(entry.tenant);
        count(summary, await (options.dryRun ? predictRestore(store, entry.workflow) : write(store, entry)));
      } catch (error) {
        if ((error instanceof StoreUnavailableError || error instanceof OutcomeUnknownError) && !result.stoppedBy) result.stoppedBy = error;
        fail({ line: entry.line, id: entry.workflow.id, reason: (error as Error).message });
      }
    }
    summary.processed += 1;
    options.onProgress?.(summary);
  };

  try {
    for await (const entry of entries) {
      if (result.stoppedBy) break;
      const task: Promise<void> = handle(entry).finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (inFlight.size >= limit) await Promise.race(inFlight);
    }
  } catch (error) {
    if (!(error instanceof InvalidFileError)) throw error;
    result.fileError = error;
  } finally {
    await Promise.all(inFlight);
  }
  return result;
}

/** One line into the target: its earlier versions become its history when the line carries them. */
function write(store: WorkflowStore, entry: Extract<FileEntry, { kind: 'record' }>): Promise<RestoreOutcome> {
  return entry.history === undefined ? store.restore(entry.workflow) : store.restoreWithHistory({ workflow: entry.workflow, history: entry.history });
}

/** What `restore` would answer, from a read of the target. */
async function predictRestore(target: WorkflowStore, record: Workflow): Promise<RestoreOutcome> {
  if (Date.parse(record.expiresAt) <= Date.now()) return 'skipped-expired';
  const current = await target.get(record.id);
  if (!current || current.version < record.version) return 'written';
  return current.version === record.version ? 'skipped-same' : 'skipped-newer';
}

function count(summary: RestoreSummary, outcome: RestoreOutcome): void {
  if (outcome === 'written') summary.copied += 1;
  else if (outcome === 'skipped-same') summary.skippedSame += 1;
  else if (outcome === 'skipped-newer') summary.skippedNewer += 1;
  else summary.skippedExpired += 1;
}
