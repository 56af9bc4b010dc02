import type { LimitsOptions } from '../../config/workflow-store.options.js';
import { OutcomeUnknownError } from '../../errors/outcome-unknown.error.js';
import { StorageFullError } from '../../errors/storage-full.error.js';
import { StoreUnavailableError } from '../../errors/store-unavailable.error.js';
import { restoreRecordSchema } from '../../shared/restore-record.schema.js';
import { checkTtl } from '../../shared/ttl-policy.js';
import { validate } from '../../shared/validate.js';
import type { WorkflowStore } from '../../workflow-store.js';
import type { RestoreOutcome, Workflow } from '../../workflow.types.js';
import { countOutcome, type UpgradeCounts } from './upgrade-summary.js';

/** One workflow that could not be moved; it stays where it was. */
export interface UpgradeFailure {
  tenant: string;
  id: string;
  reason: string;
}

export interface MoveStepOptions {
  tenant: string;
  counts: UpgradeCounts;
  dryRun: boolean;
  /** In place the source copy is removed once the target holds it; into another prefix the source is kept. */
  removeSource: boolean;
  limits: LimitsOptions;
  onFailure: (failure: UpgradeFailure) => void;
}

/** A read of a source record: the workflow, `null` when it has expired, or why it cannot be read. */
export type SourceRecord = Workflow | null | { unreadable: string };

/**
 * The step both moves share, per workflow: restore into the target (id, version, timestamps, remaining TTL kept;
 * never over an equal or newer version), then — only once the target holds it — remove it from the source. A
 * kill between the two leaves the workflow in both places; the re-run finds `skipped-same` and removes it then.
 * A refused or unreadable record is counted as failed and left in the source. Losing Redis stops the run.
 */
export class MoveStep {
  constructor(private readonly options: MoveStepOptions) {}

  async move(id: string, source: SourceRecord, target: WorkflowStore, removeFromSource: () => Promise<void>): Promise<void> {
    const outcome = await this.copy(id, source, target);
    if (outcome === undefined) return;
    if (this.options.removeSource && !this.options.dryRun) {
      try {
        await removeFromSource();
      } catch (error) {
        this.fail(id, error);
        return;
      }
    }
    this.count(outcome);
  }

  /**
   * The first half of `move`, for callers that remove a batch of sources at once: the restore (or its prediction),
   * or undefined when it failed (counted). Count the outcome with `count` once the source is removed.
   */
  async copy(id: string, source: SourceRecord, target: WorkflowStore): Promise<RestoreOutcome | undefined> {
    const { options } = this;
    try {
      if (source !== null && 'unreadable' in source) throw new Error(source.unreadable);
      if (source === null) return 'skipped-expired';
      return await (options.dryRun ? predictRestore(source, target, options.limits) : target.restore(source));
    } catch (error) {
      this.fail(id, error);
      return undefined;
    }
  }

  count(outcome: RestoreOutcome): void {
    countOutcome(this.options.counts, outcome);
  }

  /** Whether a batch removal is this step's to do: in place, and not in a dry run. */
  get removesSource(): boolean {
    return this.options.removeSource && !this.options.dryRun;
  }

  private fail(id: string, error: unknown): void {
    if (stopsTheRun(error)) throw error;
    this.options.counts.failed += 1;
    this.options.onFailure({ tenant: this.options.tenant, id, reason: (error as Error).message });
  }
}

/** Redis unreachable or out of memory, or a write's outcome unknown: every further workflow would fail the same way. */
export function stopsTheRun(error: unknown): boolean {
  if (error instanceof StoreUnavailableError || error instanceof OutcomeUnknownError || error instanceof StorageFullError) return true;
  return !(error instanceof Error) || isRedisError(error);
}

/** An error from a raw command (ioredis' ReplyError, a timeout, a closed connection), not from the store's checks. */
function isRedisError(error: Error): boolean {
  return error.name === 'ReplyError' || /Connection is closed|Command timed out|Stream isn't writeable/i.test(error.message);
}

/** What `restore` would answer, from the same checks and a read of the target; writes nothing. */
async function predictRestore(workflow: Workflow, target: WorkflowStore, limits: LimitsOptions): Promise<RestoreOutcome> {
  validate(restoreRecordSchema, workflow, 'record');
  checkTtl(workflow.ttlSeconds, limits, 'ttlSeconds');
  if (Date.parse(workflow.expiresAt) <= Date.now()) return 'skipped-expired';
  const current = await target.get(workflow.id);
  if (!current || current.version < workflow.version) return 'written';
  return current.version === workflow.version ? 'skipped-same' : 'skipped-newer';
}
