import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** bench/lua/bare-cas.lua, read from the source tree (this file runs from dist/bench/lib/). */
const BARE_CAS_LUA = readFileSync(new URL('../../../bench/lua/bare-cas.lua', import.meta.url), 'utf8');

type CasClient = Redis & { bareCas(key: string, expectedVersion: number, json: string, ttlMs: number): Promise<[number, number]> };

/** Defines the bare CAS script on a client (EVALSHA after the first call, like the store's scripts). */
export function withBareCas(client: Redis): CasClient {
  client.defineCommand('bareCas', { numberOfKeys: 1, lua: BARE_CAS_LUA });
  return client as CasClient;
}

/** Runs the bare CAS and returns the new version; throws when the version did not match. */
export async function bareCas(client: CasClient, key: string, expectedVersion: number, json: string, ttlMs: number): Promise<number> {
  const [status, version] = await client.bareCas(key, expectedVersion, json, ttlMs);
  if (status !== 1) throw new Error(`bare CAS on ${key}: expected version ${expectedVersion}, found ${version}`);
  return version;
}

export type { CasClient };
