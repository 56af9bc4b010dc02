import calculateSlot from 'cluster-key-slot';

/**
 * The only place key strings are formed.
 *
 * Workflows are spread over SHARD_COUNT shards, the shard derived from the id. Every key of a shard carries the
 * shard's `{hash tag}`, so each script touches one slot (Redis Cluster) while the shards, and so the workflows,
 * spread over all masters. Tags are chosen so their slots are evenly spaced over 0..16383: with a cluster's
 * usual contiguous slot ranges every master gets a fair share of shards.
 *
 * Changing SHARD_COUNT or the tags re-homes every workflow: it is part of the storage format.
 */
export const SHARD_COUNT = 16;
const SLOTS = 16384;

function evenlySpacedTag(shard: number): string {
  for (let n = 0; ; n++) {
    const tag = `s${shard}.${n}`;
    if (Math.floor((calculateSlot(tag) * SHARD_COUNT) / SLOTS) === shard) return tag;
  }
}

export const SHARD_TAGS: readonly string[] = Array.from({ length: SHARD_COUNT }, (_, shard) => evenlySpacedTag(shard));

export function shardOf(id: string): number {
  return calculateSlot(id) % SHARD_COUNT;
}

/** The five keys every write script takes, in script order. */
export interface WorkflowKeys {
  record: string;
  operations: string;
  index: string;
  expiry: string;
  labels: string;
}

export class RedisKeys {
  constructor(private readonly prefix: string) {}

  private shardBase(shard: number): string {
    return `${this.prefix}:{${SHARD_TAGS[shard]}}`;
  }

  forWorkflow(id: string): WorkflowKeys {
    const shard = shardOf(id);
    const base = this.shardBase(shard);
    return { record: `${base}:wf:${id}`, operations: `${base}:ops:${id}`, ...this.shardIndexes(shard) };
  }

  /** The keys of one shard's indexes: lexicographic index, expiry index, labels per id. */
  shardIndexes(shard: number): Pick<WorkflowKeys, 'index' | 'expiry' | 'labels'> {
    const base = this.shardBase(shard);
    return { index: `${base}:idx`, expiry: `${base}:exp`, labels: `${base}:lbl` };
  }

  /**
   * A scratch key of the id's shard (short TTL) that REDIS_DURABILITY=replica writes before WAIT when a retried
   * operation was already applied, so that WAIT also covers that earlier write.
   */
  replicaAck(id: string): string {
    return `${this.shardBase(shardOf(id))}:ack`;
  }

  /** Record key of an id (used by reads). */
  record(id: string): string {
    return `${this.shardBase(shardOf(id))}:wf:${id}`;
  }
}
