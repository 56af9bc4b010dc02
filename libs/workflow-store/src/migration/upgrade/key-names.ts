import { DEFAULT_TENANT } from '../../workflow.schema.js';
import { MAX_SHARDS, shardTag } from '../../redis/redis-keys.js';
import { V1_SHARD_TAGS } from '../../redis/v1-layout.js';

/** A tenant segment of a key: TENANT_PATTERN, which has no colon or brace, so it cannot be confused with a tag. */
const SEGMENT = '[A-Za-z0-9_-][A-Za-z0-9_.-]{0,31}';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

/** A key of storage format v1 (see redis/v1-layout.ts). */
export interface V1KeyName {
  /** The tenant segment as the key has it; undefined for the default tenant, which had none. */
  segment: string | undefined;
  /** The v2 tenant its data belongs to. */
  tenant: string;
  shard: number;
  kind: 'wf' | 'ops' | 'idx' | 'exp' | 'lbl';
  /** For `wf` (record) and `ops` (idempotency log) keys. */
  id?: string;
  /** The expiry index of the key's shard: whether a record is listed there. */
  expiryKey: string;
}

/** A key of storage format v2 (see redis/redis-keys.ts), other than the format record. */
export interface V2KeyName {
  tenant: string;
  shards: number;
  shard: number;
  /** What follows the tag: `w:<id>`, `k:<id>:<key>`, `i`, `e`, `l`, `ack`... */
  rest: string;
  /** The expiry index of the key's shard. */
  expiryKey: string;
}

/**
 * Recognises the keys of both layouts under one prefix. v1 tags are `{sN.k}` (no colon), v2 tags
 * `{tenant:shards:shard:sfx}`: the two can never be taken for each other, and each tag is checked against the
 * layout's own function, so a key that only looks alike is left alone.
 */
export class KeyNames {
  private readonly v1: RegExp;
  private readonly v2: RegExp;

  constructor(readonly prefix: string) {
    const head = `^${escapeRegExp(prefix)}:`;
    this.v1 = new RegExp(`${head}(?:(${SEGMENT}):)?\\{(s(\\d+)\\.\\d+)\\}:(?:(wf|ops):(.+)|(idx|exp|lbl))$`, 's');
    this.v2 = new RegExp(`${head}\\{((${SEGMENT}):(\\d+):(\\d+):[^{}:]{3})\\}:(.+)$`, 's');
  }

  parseV1(key: string): V1KeyName | undefined {
    const match = this.v1.exec(key);
    if (!match) return undefined;
    const [, segment, tag, shardText, idKind, id, shardKind] = match;
    const shard = Number(shardText);
    if (V1_SHARD_TAGS[shard] !== tag) return undefined;
    const kind = (idKind ?? shardKind) as V1KeyName['kind'];
    const expiryKey = `${this.prefix}:${segment === undefined ? '' : `${segment}:`}{${tag}}:exp`;
    return { segment, tenant: segment ?? DEFAULT_TENANT, shard, kind, ...(id === undefined ? {} : { id }), expiryKey };
  }

  parseV2(key: string): V2KeyName | undefined {
    const match = this.v2.exec(key);
    if (!match) return undefined;
    const [, tag, tenant, shardsText, shardText, rest] = match as unknown as [string, string, string, string, string, string];
    const shards = Number(shardsText);
    const shard = Number(shardText);
    if (!(shards >= 1 && shards <= MAX_SHARDS && shard < shards) || shardTag(this.prefix, tenant, shards, shard) !== tag) return undefined;
    return { tenant, shards, shard, rest, expiryKey: `${this.prefix}:{${tag}}:e` };
  }
}
