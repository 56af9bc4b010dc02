import calculateSlot from 'cluster-key-slot';

/**
 * The only place key strings of storage format v2 are formed (v1's are in v1-layout.ts, for the upgrade).
 *
 * A tenant's workflows are spread over `shards` shards (REDIS_SHARDS), the shard derived from the id. Every key of
 * a shard carries the shard's `{hash tag}`, so each script touches one slot (Redis Cluster). The tag holds the
 * tenant and the shard count, and a 3-character suffix chosen so the shards' slots are evenly spaced over
 * 0..16383 starting at an offset derived from the prefix and tenant: with a cluster's contiguous slot ranges every
 * master gets a fair share of every tenant's shards, whatever the number of masters, and two tenants (or two
 * prefixes) do not pile onto the same slots.
 *
 *   <prefix>:{<tenant>:<shards>:<shard>:<sfx>}:w:<id>         the workflow record (string)
 *   <prefix>:{…}:k:<id>:<idempotency key>                     one remembered Idempotency-Key (string, own TTL)
 *   <prefix>:{…}:h:<id>                                       the workflow's kept earlier versions (hash, its TTL)
 *   <prefix>:{…}:i / :e / :l                                  the shard's lexicographic index, expiry index, labels
 *   <prefix>:{…}:x                                            the shard's change feed (stream, retention TTL)
 *   <prefix>:{…}:n                                            the shard's notice channel (SPUBLISH; not a key)
 *   <prefix>:{…}:o / :q                                       the shard's leases (hash) and held leases by expiry (zset)
 *   <prefix>:format                                           the format record: tenant -> format and shard count
 *
 * The shard count is part of the tag, so data written with another count never shares a key with this one (the
 * upgrade command re-shards by copying from one layout to the other).
 */
export const SLOTS = 16384;
export const MAX_SHARDS = SLOTS;
export const FORMAT_VERSION = 2;

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const SUFFIX_LENGTH = 3;
const ZEROS = '\u0000'.repeat(SUFFIX_LENGTH);

let suffixBySlot: string[] | undefined;

/**
 * For each 14-bit value, a 3-character suffix whose slot is that value. Redis' CRC16 (XMODEM, init 0) is linear,
 * so slot(P + S) = slot(P + "\0\0\0") XOR slot(S) for any P: one table (262 144 CRCs, ~60 ms, built once) gives
 * every tag its slot exactly, instead of a search per shard that would cost shards² CRCs.
 */
function suffixTable(): string[] {
  if (suffixBySlot) return suffixBySlot;
  const table = new Array<string>(SLOTS);
  let filled = 0;
  for (const a of SUFFIX_ALPHABET) {
    for (const b of SUFFIX_ALPHABET) {
      for (const c of SUFFIX_ALPHABET) {
        const suffix = a + b + c;
        const slot = calculateSlot(suffix);
        if (table[slot] === undefined) {
          table[slot] = suffix;
          filled += 1;
        }
      }
    }
  }
  if (filled !== SLOTS) throw new Error(`shard tag suffixes cover ${filled} of ${SLOTS} slots`);
  suffixBySlot = table;
  return table;
}

/** The shard of an id: its CRC16 modulo the shard count. */
export function shardOf(id: string, shards: number): number {
  return calculateSlot(id) % shards;
}

/** Where the shards of (prefix, tenant) start on the slot range, so tenants and prefixes do not share slots. */
function offsetOf(prefix: string, tenant: string): number {
  return calculateSlot(`${prefix}:${tenant}`);
}

/** The slot shard `shard` of (prefix, tenant) is placed on: evenly spaced from an offset of their own. */
export function targetSlot(prefix: string, tenant: string, shards: number, shard: number, offset = offsetOf(prefix, tenant)): number {
  return (offset + Math.floor((shard * SLOTS) / shards)) % SLOTS;
}

/** The hash tag (without braces) of one shard of one tenant. */
export function shardTag(prefix: string, tenant: string, shards: number, shard: number, offset = offsetOf(prefix, tenant)): string {
  const head = `${tenant}:${shards}:${shard}:`;
  const want = targetSlot(prefix, tenant, shards, shard, offset);
  const suffix = suffixTable()[want ^ calculateSlot(head + ZEROS)] as string;
  return head + suffix;
}

/** The keys of one workflow: its own and those of its shard. */
export interface WorkflowKeys extends ShardKeys {
  record: string;
  /** The remembered Idempotency-Key of this write, or a placeholder of the shard when the write has none. */
  idempotency: string;
  history: string;
  /** A LangGraph thread's checkpoints, pending writes and delta anchors (a hash; see includes/checkpoints.lua). */
  checkpoints: string;
  /** The thread's checkpoints in id order per namespace (a zset). */
  checkpointOrder: string;
}

export interface ShardKeys {
  index: string;
  expiry: string;
  labels: string;
  /** The shard's change feed (a stream). */
  events: string;
  /** The shard channel each event is announced on. */
  notice: string;
  /** The shard's leases: id -> token, owner, expiry, state (a hash). */
  leases: string;
  /** The shard's held leases by expiry (a zset), for the stalled sweep. */
  leaseExpiry: string;
}

export class RedisKeys {
  private readonly bases: string[];

  constructor(
    readonly prefix: string,
    readonly tenant: string,
    readonly shards: number,
  ) {
    if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) throw new Error(`shard count ${shards} is not 1..${MAX_SHARDS}`);
    const offset = offsetOf(prefix, tenant);
    this.bases = Array.from({ length: shards }, (_, shard) => `${prefix}:{${shardTag(prefix, tenant, shards, shard, offset)}}`);
  }

  shardOf(id: string): number {
    return shardOf(id, this.shards);
  }

  private base(shard: number): string {
    return this.bases[shard] as string;
  }

  forWorkflow(id: string, idempotencyKey?: string): WorkflowKeys {
    const shard = this.shardOf(id);
    const base = this.base(shard);
    return {
      record: `${base}:w:${id}`,
      idempotency: idempotencyKey === undefined ? `${base}:k` : `${base}:k:${id}:${idempotencyKey}`,
      history: `${base}:h:${id}`,
      checkpoints: `${base}:g:${id}`,
      checkpointOrder: `${base}:y:${id}`,
      ...this.shard(shard),
    };
  }

  /** The key of a workflow's kept earlier versions. */
  history(id: string): string {
    return `${this.base(this.shardOf(id))}:h:${id}`;
  }

  /** The keys of a thread's checkpoints (the thread id is a workflow id). */
  thread(id: string): { checkpoints: string; checkpointOrder: string } {
    const base = this.base(this.shardOf(id));
    return { checkpoints: `${base}:g:${id}`, checkpointOrder: `${base}:y:${id}` };
  }

  /** The keys of one shard's indexes: lexicographic index, expiry index, labels per id. */
  shard(shard: number): ShardKeys {
    const base = this.base(shard);
    return {
      index: `${base}:i`,
      expiry: `${base}:e`,
      labels: `${base}:l`,
      events: `${base}:x`,
      notice: `${base}:n`,
      leases: `${base}:o`,
      leaseExpiry: `${base}:q`,
    };
  }

  /** A scratch key of the id's shard (short TTL) that REDIS_DURABILITY=replica writes before WAIT to confirm a replay. */
  replicaAck(id: string): string {
    return `${this.base(this.shardOf(id))}:ack`;
  }

  /** Record key of an id (used by reads). */
  record(id: string): string {
    return `${this.base(this.shardOf(id))}:w:${id}`;
  }

  /** The hash tag of a shard, for tests and tools that place or move slots. */
  tag(shard: number): string {
    const base = this.base(shard);
    return base.slice(base.indexOf('{') + 1, -1);
  }
}

/** The format record of a prefix: one hash, a field per tenant. It has no TTL: it must outlive the data it describes. */
export function formatKey(prefix: string): string {
  return `${prefix}:format`;
}
