import type { LimitsOptions, RedisOptions } from '../config/workflow-store.options.js';
import type { Idempotency } from '../shared/idempotency.js';
import type { KeptRecord, NewRecord, RecordWrite } from '../shared/storage-backend.js';
import { DEFAULT_STATUS, DEFAULT_TYPE } from '../workflow.schema.js';
import type { Workflow } from '../workflow.types.js';
import { recordOf } from './redis-codec.js';
import type { ShardKeys, WorkflowKeys } from './redis-keys.js';

type Arg = string | number;

/** Expired index entries each write sweeps from its shard, on top of the periodic sweep. */
const PURGE_PER_WRITE = 16;
/** Expired index entries, or expired leases, one periodic sweep call takes from a shard. */
const PURGE_PER_SWEEP = 1000;

/** The KEYS of the workflow write scripts (create-12, save-12, delete-12, touch-12, restore-12), in their order. */
export function writeScriptKeys(keys: WorkflowKeys): string[] {
  return [
    keys.record,
    keys.idempotency,
    keys.index,
    keys.expiry,
    keys.labels,
    keys.history,
    keys.events,
    keys.notice,
    keys.leases,
    keys.leaseExpiry,
    keys.checkpoints,
    keys.checkpointOrder,
  ];
}

/** The KEYS of acquire-lease-6 and release-lease-6 (the same six, in the same order). */
export const leaseWriteKeys = (keys: WorkflowKeys): string[] => [keys.record, keys.index, keys.events, keys.notice, keys.leases, keys.leaseExpiry];

/** The KEYS of the shard sweeps: purge-expired-7 and expire-leases-7 take the same keys in their own orders. */
export const purgeKeys = (keys: ShardKeys): string[] => [keys.index, keys.expiry, keys.labels, keys.events, keys.notice, keys.leases, keys.leaseExpiry];
export const expireLeasesKeys = (keys: ShardKeys): string[] => [keys.leaseExpiry, keys.leases, keys.index, keys.expiry, keys.labels, keys.events, keys.notice];

/**
 * The ARGV of each script, in the order its header lists (lua/*.lua): the call's own values, then what the store's
 * configuration says (defaults, windows, the change feed, the history). One place, so a script's header and what the
 * backend sends can be read side by side.
 */
export class ScriptArgs {
  constructor(
    private readonly options: RedisOptions,
    private readonly limits: LimitsOptions,
  ) {}

  create(record: NewRecord, idempotency: Idempotency | undefined): Arg[] {
    return [
      record.id,
      record.type,
      record.status,
      record.stateJson,
      record.ttlSeconds,
      idempotency?.fingerprint ?? '',
      this.idempotencyWindowMs,
      PURGE_PER_WRITE,
      ...this.feed,
      this.indexMarginFloorMs,
    ];
  }

  /** save-12's arguments; `newType` is the type of a workflow this save creates without naming one. */
  save(write: RecordWrite, expectedVersion: number | undefined, idempotency: Idempotency | undefined, leaseToken: number | undefined, newType = DEFAULT_TYPE): Arg[] {
    return [
      write.id,
      write.type ?? '',
      write.status ?? '',
      write.stateJson,
      write.ttlSeconds ?? '',
      expectedArg(expectedVersion, write),
      idempotency?.fingerprint ?? '',
      this.idempotencyWindowMs,
      PURGE_PER_WRITE,
      newType,
      DEFAULT_STATUS,
      this.limits.defaultTtlSeconds,
      ...this.feed,
      this.limits.historyVersions,
      leaseToken ?? '',
      this.indexMarginFloorMs,
    ];
  }

  delete(id: string, expectedVersion: number | undefined, idempotency: Idempotency | undefined, leaseToken: number | undefined): Arg[] {
    return [id, expectedVersion ?? '', idempotency?.fingerprint ?? '', this.idempotencyWindowMs, PURGE_PER_WRITE, ...this.feed, leaseToken ?? ''];
  }

  touch(id: string, ttlSeconds: number | undefined, idempotency: Idempotency | undefined, leaseToken: number | undefined, expectedVersion: number | undefined): Arg[] {
    return [
      id,
      ttlSeconds ?? '',
      idempotency?.fingerprint ?? '',
      this.idempotencyWindowMs,
      PURGE_PER_WRITE,
      ...this.feed,
      leaseToken ?? '',
      this.indexMarginFloorMs,
      expectedVersion ?? '',
    ];
  }

  restore(record: Workflow, stateJson: string, history: readonly KeptRecord[]): Arg[] {
    return [
      record.id,
      record.type,
      record.status,
      stateJson,
      record.version,
      Date.parse(record.createdAt),
      Date.parse(record.updatedAt),
      Date.parse(record.expiresAt),
      record.ttlSeconds,
      PURGE_PER_WRITE,
      ...this.feed,
      this.limits.historyVersions,
      this.indexMarginFloorMs,
      ...history.flatMap((kept) => [kept.workflow.version, recordOf(kept.workflow, kept.stateJson)]),
    ];
  }

  acquireLease(id: string, owner: string, ttlMs: number): Arg[] {
    return [id, owner, ttlMs, ...this.feed];
  }

  releaseLease(id: string, token: number, expectedVersion: number | undefined): Arg[] {
    return [id, token, ...this.feed, expectedVersion ?? ''];
  }

  /** purge-expired-7 and expire-leases-7. */
  sweep(): Arg[] {
    return [PURGE_PER_SWEEP, ...this.feed];
  }

  /** The change-feed arguments: retention in ms (0 = no events) and the per-shard cap. */
  private get feed(): [number, number] {
    return [this.limits.eventsRetentionSeconds * 1000, this.limits.eventsMaxPerShard];
  }

  private get idempotencyWindowMs(): number {
    return this.limits.idempotencyTtlSeconds * 1000;
  }

  /**
   * How long index keys at least outlive their longest-lived workflow: two sweep intervals, so the sweep still finds
   * an expired workflow (to record its expiry event) before its shard's index expires; 0 without a periodic sweep.
   */
  private get indexMarginFloorMs(): number {
    return this.options.purgeIntervalMs * 2;
  }
}

/** save-12's ARGV[6]: '' (unconditional), the version, or the version with the write that made it. */
function expectedArg(expectedVersion: number | undefined, write: RecordWrite): Arg {
  if (expectedVersion === undefined) return '';
  const stamp = write.expectedStamp;
  return stamp ? `${expectedVersion}|${stamp.createdMs}|${stamp.updatedMs}` : expectedVersion;
}
