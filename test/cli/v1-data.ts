/**
 * Storage format v1 data for the upgrade tests, written by the v1 Lua scripts exactly as shipped
 * (test/fixtures/v1-lua, `-- @include common` inlined as scripts/embed-lua.mjs does), and read back raw.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainableCommander, Redis } from 'ioredis';
import type { JsonObject, Workflow } from '#workflow-store';
import { V1Keys, V1_SHARDS } from '../../libs/workflow-store/src/redis/v1-layout.js';

const V1_DIR = join(process.cwd(), 'test/fixtures/v1-lua');
/** Arguments the v1 service passed with every write. */
const MAX_OPS = 32;
const PURGE = 16;

function v1Lua(file: string): string {
  const include = (_: string, name: string): string => readFileSync(join(V1_DIR, 'includes', `${name}.lua`), 'utf8');
  return readFileSync(join(V1_DIR, file), 'utf8').replace(/^-- @include (\S+)$/m, include);
}

/** The v1 script commands this helper defines on a client (ioredis adds them at run time, hence the casts). */
type V1Commands = Record<'v1Create' | 'v1Save' | 'v1Delete', (...args: (string | number)[]) => ChainableCommander>;

/** Defines the v1 write scripts on `client` (and so on its pipelines). */
export function defineV1Scripts(client: Redis): void {
  client.defineCommand('v1Create', { numberOfKeys: 5, lua: v1Lua('create-5.lua') });
  client.defineCommand('v1Save', { numberOfKeys: 5, lua: v1Lua('save-5.lua') });
  client.defineCommand('v1Delete', { numberOfKeys: 5, lua: v1Lua('delete-5.lua') });
}

/** `v1 tenant` undefined is the default tenant, which v1 wrote without a segment. */
export class V1Writer {
  private readonly keys: V1Keys;

  constructor(
    readonly prefix: string,
    readonly tenant: string | undefined,
  ) {
    this.keys = new V1Keys(prefix, tenant);
  }

  private scriptKeys(id: string): string[] {
    const shard = this.keys.shard(shardOfRecordKey(this.keys.record(id)));
    return [this.keys.record(id), this.keys.operations(id), shard.index, shard.expiry, shard.labels];
  }

  create(pipeline: ChainableCommander, id: string, type: string, state: JsonObject, ttlSeconds: number, operationId = ''): void {
    const args = [id, type, 'created', JSON.stringify(state), ttlSeconds, operationId, MAX_OPS, PURGE];
    (pipeline as unknown as V1Commands).v1Create(...this.scriptKeys(id), ...args);
  }

  save(pipeline: ChainableCommander, id: string, status: string, state: JsonObject, operationId = ''): void {
    // type '' and ttl '' keep the stored ones; no expected version; then the v1 service's defaults.
    const args = [id, '', status, JSON.stringify(state), '', '', operationId, MAX_OPS, PURGE, 'form', 'created', 86400];
    (pipeline as unknown as V1Commands).v1Save(...this.scriptKeys(id), ...args);
  }

  delete(pipeline: ChainableCommander, id: string, operationId = ''): void {
    (pipeline as unknown as V1Commands).v1Delete(...this.scriptKeys(id), id, '', operationId, MAX_OPS, PURGE);
  }

  /** Every live v1 workflow of this tenant, read raw (record header parsed here, not by the code under test), with its key's absolute expiry. */
  async readAll(client: Redis): Promise<Map<string, { workflow: Workflow; expiresAtMs: number }>> {
    const found = new Map<string, { workflow: Workflow; expiresAtMs: number }>();
    for (let shard = 0; shard < V1_SHARDS; shard++) {
      const ids = await client.zrange(this.keys.shard(shard).expiry, '0', '-1');
      const pipeline = client.pipeline();
      for (const id of ids) pipeline.get(this.keys.record(id)).pexpiretime(this.keys.record(id));
      const replies = (await pipeline.exec()) ?? [];
      ids.forEach((id, i) => {
        const record = replies[2 * i]?.[1] as string | null;
        if (record !== null) found.set(id, { workflow: parseRecord(id, record), expiresAtMs: Number(replies[2 * i + 1]?.[1]) });
      });
    }
    return found;
  }

  /** Entries left in this tenant's v1 expiry indexes. */
  async indexed(client: Redis): Promise<number> {
    const sizes = await Promise.all(Array.from({ length: V1_SHARDS }, (_, shard) => client.zcard(this.keys.shard(shard).expiry)));
    return sizes.reduce((sum, n) => sum + n, 0);
  }
}

/** The shard number inside a v1 key's `{sN.k}` tag. */
function shardOfRecordKey(key: string): number {
  return Number(/\{s(\d+)\./.exec(key)?.[1]);
}

/** `version|created|updated|expires|ttl|type|status` + newline + state JSON. */
function parseRecord(id: string, record: string): Workflow {
  const newline = record.indexOf('\n');
  const [version, created, updated, expires, ttl, type, status] = record.slice(0, newline).split('|');
  const iso = (ms: string | undefined): string => new Date(Number(ms)).toISOString();
  return {
    id,
    type: type as string,
    status: status as string,
    state: JSON.parse(record.slice(newline + 1)) as JsonObject,
    version: Number(version),
    createdAt: iso(created),
    updatedAt: iso(updated),
    expiresAt: iso(expires),
    ttlSeconds: Number(ttl),
  };
}

/** Keys under `prefix` that are in the v1 layout (`{sN.k}` tags). */
export async function v1KeysLeft(client: Redis, prefix: string): Promise<string[]> {
  const left: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    left.push(...keys.filter((key) => /\{s\d+\.\d+\}/.test(key)));
  } while (cursor !== '0');
  return left;
}
