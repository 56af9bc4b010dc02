import type { StoreRedisClient } from '../../redis/redis-client.types.js';
import { FORMAT_VERSION } from '../../redis/redis-keys.js';
import { writeFormatRecord, type FormatRecord } from '../../redis/storage-format.js';

/**
 * Before anything is copied into a tenant's target layout, its format record gets `reshardTo: <target shards>`:
 * from then on every service process refuses the tenant (at boot, or at its first use), so nobody serves it while
 * it is half moved — in place even once its v1 keys are gone, since an existing record is all a tenant view checks.
 * A re-run that finds the mark continues the move. `shards` stays what it was (the layout still holding data),
 * or the target count for a tenant that had no record (v1 data, or a copy into a new prefix).
 */
export async function markInProgress(
  client: StoreRedisClient,
  prefix: string,
  tenant: string,
  existing: FormatRecord | undefined,
  targetShards: number,
): Promise<void> {
  await writeFormatRecord(client, prefix, tenant, {
    format: FORMAT_VERSION,
    shards: existing?.shards ?? targetShards,
    since: existing?.since ?? new Date().toISOString(),
    reshardTo: targetShards,
  });
}

/** Once every workflow of the tenant is in the target layout: the record names it, and services may serve the tenant. */
export async function markFinished(client: StoreRedisClient, prefix: string, tenant: string, targetShards: number): Promise<void> {
  await writeFormatRecord(client, prefix, tenant, { format: FORMAT_VERSION, shards: targetShards, since: new Date().toISOString() });
}
