import type { StoreRedisClient } from '../../redis/redis-client.types.js';
import { storedWorkflowFromRecord } from '../../redis/redis-codec.js';
import { V1Keys, V1_SHARDS } from '../../redis/v1-layout.js';
import type { JsonObject } from '../../workflow.types.js';
import type { SourceRecord } from './move-step.js';

/** Separator of v1 index members and labels (see test/fixtures/v1-lua/includes/common.lua). */
const SEP = '\u0000';

/** One entry of a v1 expiry index, with what the v1 keys say about it. */
export interface V1Entry {
  id: string;
  /** The record string (header line + state JSON); null once it expired (Redis removed it, its index entries stay). */
  record: string | null;
  /** `type\0status` from the labels hash: which index members to remove. */
  labels: string | null;
}

/**
 * The v1 data of one tenant segment: its 16 shards, each read from the expiry index (one entry per workflow,
 * expired or not) by rank, a page at a time. The service is stopped, so the index only shrinks, by our own removals.
 */
export class V1Source {
  readonly keys: V1Keys;

  constructor(
    private readonly client: StoreRedisClient,
    prefix: string,
    readonly segment: string | undefined,
  ) {
    this.keys = new V1Keys(prefix, segment);
  }

  /** Expiry index entries over all shards: the workflows to handle, expired ones included. */
  async count(): Promise<number> {
    const sizes = await Promise.all(Array.from({ length: V1_SHARDS }, (_, shard) => this.client.zcard(this.keys.shard(shard).expiry)));
    return sizes.reduce((sum, n) => sum + n, 0);
  }

  /**
   * Entries `offset`… of a shard's expiry index, with their records and labels. All keys of a v1 shard share its
   * hash tag, so the reads go as one pipeline to one node, even on a Cluster.
   */
  async readPage(shard: number, offset: number, size: number): Promise<V1Entry[]> {
    const { expiry, labels } = this.keys.shard(shard);
    const ids = await this.client.zrange(expiry, String(offset), String(offset + size - 1));
    if (ids.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.get(this.keys.record(id)).hget(labels, id);
    const replies = (await pipeline.exec()) ?? [];
    return ids.map((id, i) => ({ id, record: replyOf(replies, 2 * i), labels: replyOf(replies, 2 * i + 1) }));
  }

  /**
   * Removes every v1 key of the given workflows of one shard — record, idempotency log, three index members,
   * expiry entry, labels — in one MULTI/EXEC: they share the shard's hash tag (one slot, so this holds on a
   * Cluster too) and go together or not at all.
   */
  async remove(shard: number, entries: V1Entry[]): Promise<void> {
    if (entries.length === 0) return;
    const { index, expiry, labels } = this.keys.shard(shard);
    const transaction = this.client.multi();
    for (const entry of entries) {
      const members = new Set<string>();
      // The labels hash is what v1 unindexes by; the record's header is a fallback should the two ever disagree.
      for (const text of [entry.labels, labelsOfRecord(entry.record)]) {
        if (text !== null) for (const member of indexMembers(entry.id, text)) members.add(member);
      }
      transaction.del(this.keys.record(entry.id), this.keys.operations(entry.id)).zrem(expiry, entry.id).hdel(labels, entry.id);
      if (members.size > 0) transaction.zrem(index, ...members);
    }
    const replies = await transaction.exec();
    if (!replies) throw new Error(`removing the v1 keys of ${entries.length} workflows was aborted`);
    const failed = replies.find(([error]) => error);
    if (failed) throw failed[0] as Error;
  }
}

/** A v1 record as a workflow (the record string is the same in v1 and v2), null when expired. */
export function workflowOfRecord(id: string, record: string | null): SourceRecord {
  if (record === null) return null;
  try {
    const stored = storedWorkflowFromRecord(id, record);
    if (!stored || record.indexOf('\n') < 0) throw new Error('no header line');
    return { ...stored.workflow, state: JSON.parse(stored.stateJson) as JsonObject };
  } catch (error) {
    return { unreadable: `unreadable v1 record: ${(error as Error).message}` };
  }
}

function replyOf(replies: [Error | null, unknown][], index: number): string | null {
  const [error, value] = replies[index] ?? [new Error('missing reply'), null];
  if (error) throw error;
  return typeof value === 'string' ? value : null;
}

/** `type\0status` from a record's header `version|created|updated|expires|ttl|type|status`. */
function labelsOfRecord(record: string | null): string | null {
  if (record === null) return null;
  const fields = record.slice(0, Math.max(0, record.indexOf('\n'))).split('|');
  return fields.length === 7 ? `${fields[5]}${SEP}${fields[6]}` : null;
}

/** The three v1 index members of a workflow: all ids, by type+status, by status. */
function indexMembers(id: string, labels: string): string[] {
  const at = labels.indexOf(SEP);
  if (at < 0) return [];
  const type = labels.slice(0, at);
  const status = labels.slice(at + 1);
  return [`a${SEP}${id}`, `t${SEP}${type}${SEP}${status}${SEP}${id}`, `s${SEP}${status}${SEP}${id}`];
}
