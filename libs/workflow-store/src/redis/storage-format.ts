import { StorageFormatError } from '../errors/storage-format.error.js';
import { FORMAT_VERSION, formatKey } from './redis-keys.js';
import type { StoreRedisClient } from './redis-client.types.js';
import { V1Keys, V1_SHARDS } from './v1-layout.js';

/**
 * The format record: what layout a tenant's data is in. One hash per prefix (`<prefix>:format`), a field per tenant
 * holding JSON `{ format, shards, since }`, and `reshardTo` while `workflow-store upgrade` moves the tenant to
 * another shard count (equal to `shards` while it moves v1 data in or copies the tenant into another prefix). It
 * is written before a tenant's first write and checked at boot and at each tenant's first use by every process, so a
 * store configured differently from its data refuses instead of writing beside it. It has no TTL (the one key that
 * has none): it must outlive the data it describes, and is a few dozen bytes a tenant.
 */
export interface FormatRecord {
  format: number;
  shards: number;
  since: string;
  reshardTo?: number;
}

export function parseFormatRecord(tenant: string, text: string): FormatRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const record = value as Partial<FormatRecord> | undefined;
  if (!record || typeof record.format !== 'number' || typeof record.shards !== 'number') {
    throw new StorageFormatError(`the format record of tenant ${tenant} is unreadable: ${JSON.stringify(text).slice(0, 200)}`);
  }
  return record as FormatRecord;
}

/** Every tenant that has a format record, with it: the tenants that have (or had) data under this prefix. */
export async function readFormatRecords(client: StoreRedisClient, prefix: string): Promise<Map<string, FormatRecord>> {
  const fields = await client.hgetall(formatKey(prefix));
  return new Map(Object.entries(fields).map(([tenant, text]) => [tenant, parseFormatRecord(tenant, text)]));
}

export async function writeFormatRecord(client: StoreRedisClient, prefix: string, tenant: string, record: FormatRecord): Promise<void> {
  await client.hset(formatKey(prefix), tenant, JSON.stringify(record));
}

/** Why a tenant's recorded format does not fit this store, or undefined when it does. */
export function formatMismatch(prefix: string, tenant: string, record: FormatRecord, shards: number): string | undefined {
  const where = `tenant "${tenant}" under prefix "${prefix}"`;
  if (record.format !== FORMAT_VERSION) {
    return `${where} is in storage format v${record.format}; this version reads v${FORMAT_VERSION}`;
  }
  if (record.reshardTo !== undefined && record.reshardTo === record.shards) {
    return `${where} is being moved into storage format v${FORMAT_VERSION} with ${record.shards} shards by \`workflow-store upgrade\`; let it finish (re-run it to resume)`;
  }
  if (record.reshardTo !== undefined) {
    return `${where} is being re-sharded from ${record.shards} to ${record.reshardTo} shards by \`workflow-store upgrade\`; let it finish (re-run it to resume)`;
  }
  if (record.shards !== shards) {
    return (
      `${where} was written with REDIS_SHARDS=${record.shards}, and this store is configured with REDIS_SHARDS=${shards}: ` +
      `set REDIS_SHARDS=${record.shards}, or move the data with \`workflow-store upgrade --shards ${shards}\``
    );
  }
  return undefined;
}

/** Whether any v1 index of the tenant exists (16 EXISTS, one per v1 shard, sent together). */
export async function hasV1Data(client: StoreRedisClient, prefix: string, tenant: string): Promise<boolean> {
  const keys = new V1Keys(prefix, tenant === 'default' ? undefined : tenant);
  const found = await Promise.all(Array.from({ length: V1_SHARDS }, (_, shard) => client.exists(keys.shard(shard).expiry)));
  return found.some((n) => n > 0);
}

/** What a check found: the tenant's record fits (`recorded`), or it has none and no v1 data either (`absent`). */
export type TenantFormat = 'recorded' | 'absent';

/**
 * Makes sure a tenant's data is in this store's format: refuses v1 data and a recorded format or shard count other
 * than this store's. With `record`, writes the format when the tenant has none yet (HSETNX, then read back, so two
 * processes configured differently that start at once cannot both win); without (before a read), writes nothing.
 */
export async function ensureTenantFormat(client: StoreRedisClient, prefix: string, tenant: string, shards: number, record: boolean): Promise<TenantFormat> {
  const key = formatKey(prefix);
  let text = await client.hget(key, tenant);
  if (text === null) {
    if (await hasV1Data(client, prefix, tenant)) {
      throw new StorageFormatError(
        `tenant "${tenant}" under prefix "${prefix}" holds data in storage format v1; run \`workflow-store upgrade\` (with the service stopped) to move it to v${FORMAT_VERSION}`,
      );
    }
    if (!record) return 'absent';
    const created: FormatRecord = { format: FORMAT_VERSION, shards, since: new Date().toISOString() };
    await client.hsetnx(key, tenant, JSON.stringify(created));
    text = await client.hget(key, tenant);
    if (text === null) throw new StorageFormatError(`the format record of tenant "${tenant}" vanished while it was written`);
  }
  const mismatch = formatMismatch(prefix, tenant, parseFormatRecord(tenant, text), shards);
  if (mismatch) throw new StorageFormatError(mismatch);
  return 'recorded';
}

/**
 * Boot: every recorded tenant must fit this store, and the default tenant must hold no v1 data. Writes nothing: the
 * default tenant's record is written before its first write, like every tenant's.
 */
export async function checkStorageFormat(client: StoreRedisClient, prefix: string, shards: number): Promise<TenantFormat> {
  const problems: string[] = [];
  for (const [tenant, record] of await readFormatRecords(client, prefix)) {
    const mismatch = formatMismatch(prefix, tenant, record, shards);
    if (mismatch) problems.push(mismatch);
  }
  if (problems.length > 0) throw new StorageFormatError(`the data in Redis does not fit this store: ${problems.join('; ')}`);
  return ensureTenantFormat(client, prefix, 'default', shards, false);
}
