import type { Redis } from 'ioredis';

/**
 * What a key is, from its name: storage format v2 (see libs/workflow-store/src/redis/redis-keys.ts) or v1 (`:wf:`,
 * `:ops:` operation log, `:idx`, `:exp`, `:lbl`; see v1-layout.ts). `history`: a workflow's kept versions (`:h:<id>`);
 * `events`: a shard's change-feed stream (`:x`).
 */
export type KeyRole = 'record' | 'index' | 'expiry' | 'labels' | 'idempotency' | 'history' | 'events' | 'format' | 'other';

const ROLES: readonly KeyRole[] = ['record', 'index', 'expiry', 'labels', 'idempotency', 'history', 'events', 'format', 'other'];

export function roleOf(key: string): KeyRole {
  if (key.includes('}:w:') || key.includes('}:wf:')) return 'record';
  if (key.includes('}:k:') || key.includes('}:ops:')) return 'idempotency';
  if (key.includes('}:h:')) return 'history';
  if (key.endsWith('}:x')) return 'events';
  if (key.endsWith('}:i') || key.endsWith('}:idx')) return 'index';
  if (key.endsWith('}:e') || key.endsWith('}:exp')) return 'expiry';
  if (key.endsWith('}:l') || key.endsWith('}:lbl')) return 'labels';
  if (key.endsWith(':format')) return 'format';
  return 'other';
}

export interface KeyUsage {
  /** MEMORY USAGE … SAMPLES 0 (exact) summed per role. */
  bytes: Record<KeyRole, number>;
  keys: Record<KeyRole, number>;
  /** OBJECT ENCODING of the keys of each role (e.g. index: skiplist). */
  encodings: Record<KeyRole, Set<string>>;
  /** ZCARD summed over the lexicographic index keys: the index entries. */
  indexEntries: number;
  /** Name + value length (STRLEN) summed over the idempotency keys. */
  idempotencyPayload: number;
  /** XLEN summed over the event streams, HLEN over the history hashes. */
  events: number;
  historyVersions: number;
}

const zeros = (): Record<KeyRole, number> => Object.fromEntries(ROLES.map((r) => [r, 0])) as Record<KeyRole, number>;

/**
 * Every key matching `pattern` (SCAN, on a bench-only prefix; the store itself never scans), with its exact
 * MEMORY USAGE and encoding, added up by role. Commands for a SCAN batch go in one pipeline.
 */
export async function keyUsage(client: Redis, pattern: string): Promise<KeyUsage> {
  const usage: KeyUsage = {
    bytes: zeros(),
    keys: zeros(),
    encodings: Object.fromEntries(ROLES.map((r) => [r, new Set<string>()])) as Record<KeyRole, Set<string>>,
    indexEntries: 0,
    idempotencyPayload: 0,
    events: 0,
    historyVersions: 0,
  };
  let cursor = '0';
  do {
    const [nextCursor, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = nextCursor;
    const pipeline = client.pipeline();
    for (const key of keys) {
      pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
      pipeline.object('ENCODING', key);
      const role = roleOf(key);
      if (role === 'index') pipeline.zcard(key);
      if (role === 'idempotency') pipeline.strlen(key);
      if (role === 'events') pipeline.xlen(key);
      if (role === 'history') pipeline.hlen(key);
    }
    const replies = ((await pipeline.exec()) ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    let at = 0;
    for (const key of keys) {
      const role = roleOf(key);
      usage.bytes[role] += Number(replies[at++]);
      usage.keys[role] += 1;
      usage.encodings[role].add(String(replies[at++]));
      if (role === 'index') usage.indexEntries += Number(replies[at++]);
      if (role === 'idempotency') usage.idempotencyPayload += Buffer.byteLength(key) + Number(replies[at++]);
      if (role === 'events') usage.events += Number(replies[at++]);
      if (role === 'history') usage.historyVersions += Number(replies[at++]);
    }
  } while (cursor !== '0');
  return usage;
}

export const encodingsOf = (usage: KeyUsage, role: KeyRole): string => [...usage.encodings[role]].sort().join('/') || 'none';
