import calculateSlot from 'cluster-key-slot';

/**
 * The key layout of storage format v1 (16 fixed shards, tags `{sN.k}` carrying neither prefix nor tenant), kept
 * only to find and read v1 data: the boot check refuses to start over it and `workflow-store upgrade` moves it.
 * Nothing writes it any more.
 */
export const V1_SHARDS = 16;

function v1Tag(shard: number): string {
  for (let n = 0; ; n++) {
    const tag = `s${shard}.${n}`;
    if (Math.floor((calculateSlot(tag) * V1_SHARDS) / 16384) === shard) return tag;
  }
}

export const V1_SHARD_TAGS: readonly string[] = Array.from({ length: V1_SHARDS }, (_, shard) => v1Tag(shard));

/** v1 keys: `<prefix>[:<tenant>]:{<tag>}:wf:<id>` and so on; the default tenant had no segment. */
export class V1Keys {
  private readonly base: string;

  constructor(prefix: string, tenant: string | undefined) {
    this.base = tenant === undefined ? prefix : `${prefix}:${tenant}`;
  }

  private shardBase(shard: number): string {
    return `${this.base}:{${V1_SHARD_TAGS[shard]}}`;
  }

  record(id: string): string {
    return `${this.shardBase(calculateSlot(id) % V1_SHARDS)}:wf:${id}`;
  }

  operations(id: string): string {
    return `${this.shardBase(calculateSlot(id) % V1_SHARDS)}:ops:${id}`;
  }

  shard(shard: number): { index: string; expiry: string; labels: string } {
    const base = this.shardBase(shard);
    return { index: `${base}:idx`, expiry: `${base}:exp`, labels: `${base}:lbl` };
  }
}
