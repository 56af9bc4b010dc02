import { readFileSync } from 'node:fs';
import calculateSlot from 'cluster-key-slot';
import type { Redis } from 'ioredis';
import { DEFAULT_STATUS } from '#workflow-store';

/**
 * The storage format v1 save script, from the test fixture (test/fixtures/v1-lua/save-5.lua with its
 * `-- @include common` inlined, as scripts/embed-lua.mjs did for v1), and v1's key layout for the default tenant
 * (16 fixed shards, tags `{sN.k}`, as libs/workflow-store/src/redis/v1-layout.ts), so the bench can write what v1
 * wrote: a per-workflow operation log of the last 32 operation ids instead of one key per idempotency key.
 */
const FIXTURE = new URL('../../../test/fixtures/v1-lua/', import.meta.url);
const V1_SHARDS = 16;
/** What the v1 backend passed as ARGV[8] (MAX_OPERATIONS) and ARGV[9] (PURGE_PER_WRITE). */
const V1_MAX_OPERATIONS = 32;
const V1_PURGE_PER_WRITE = 16;
/** ARGV[10..12] as the v1 backend passed them with the default configuration (default type, status, WORKFLOW_STATE_TTL). */
const V1_DEFAULTS = ['default', DEFAULT_STATUS, 86_400] as const;

function v1SaveLua(): string {
  const common = readFileSync(new URL('includes/common.lua', FIXTURE), 'utf8');
  return readFileSync(new URL('save-5.lua', FIXTURE), 'utf8').replace(/^-- @include common$/m, () => common);
}

function v1Tag(shard: number): string {
  for (let n = 0; ; n++) {
    const tag = `s${shard}.${n}`;
    if (Math.floor((calculateSlot(tag) * V1_SHARDS) / 16384) === shard) return tag;
  }
}

const V1_TAGS: readonly string[] = Array.from({ length: V1_SHARDS }, (_, shard) => v1Tag(shard));

type V1Client = Redis & { wfsBenchV1Save(...keysAndArgs: (string | number)[]): Promise<unknown[]> };

export interface V1Save {
  /** Unconditional v1 save of `stateJson` to `id` ('' status: kept or default; '' operation id: none); the TTL is kept or defaulted. */
  save(id: string, labels: { type: string; status: string }, stateJson: string, operationId: string): Promise<number>;
}

/** Defines the v1 save script on `client` (EVALSHA after the first call) for keys under `prefix`. */
export function v1Save(client: Redis, prefix: string): V1Save {
  client.defineCommand('wfsBenchV1Save', { numberOfKeys: 5, lua: v1SaveLua() });
  const v1 = client as V1Client;
  return {
    async save(id, labels, stateJson, operationId) {
      const base = `${prefix}:{${V1_TAGS[calculateSlot(id) % V1_SHARDS]}}`;
      const reply = await v1.wfsBenchV1Save(
        `${base}:wf:${id}`,
        `${base}:ops:${id}`,
        `${base}:idx`,
        `${base}:exp`,
        `${base}:lbl`,
        id,
        labels.type,
        labels.status,
        stateJson,
        '',
        '',
        operationId,
        V1_MAX_OPERATIONS,
        V1_PURGE_PER_WRITE,
        ...V1_DEFAULTS,
      );
      if (Number(reply[0]) !== 1) throw new Error(`v1 save of ${id} answered ${JSON.stringify(reply)}`);
      return Number(reply[1]);
    },
  };
}
