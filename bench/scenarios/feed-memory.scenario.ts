import type { Redis } from 'ioredis';
import type { ValidatingWorkflowStore } from '#workflow-store';
import type { BenchConfig } from '../lib/bench-config.js';
import { bytesOnly, type Comparison } from '../lib/comparison.js';
import { makeState, type JsonDoc } from '../lib/documents.js';
import { inParallel } from '../lib/in-parallel.js';
import { encodingsOf, keyUsage } from '../lib/key-usage.js';
import type { RedisProcess } from '../lib/redis-process.js';
import { median } from '../lib/stats.js';
import { redisStore } from '../lib/store-factory.js';
import { usedMemory } from '../lib/used-memory.js';

/** Databases of their own (see idempotency-memory): their dicts grow only with these figures' keys. */
const EVENTS_DB = 2;
const HISTORY_DB = 3;
/** Three characters, like the default prefix `wfs`, so key names and event ids are as long as a default deployment's. */
const EVENTS_PREFIX = 'wfe';
const HISTORY_PREFIX = 'wfh';
const SHARDS = 64;
/** The default WORKFLOW_HISTORY_VERSIONS, set explicitly: the figure's rounds are sized by it. */
const KEEP = 10;
/** Rounds of rewrites past the bound, to show that the history stops growing there. */
const PAST_BOUND_ROUNDS = 2;

const idOf = (n: number): string => `w-${n}`;

/** Rewrites every one of `ids` once with the same state (same record size, same labels), 64 in flight. */
const rewriteAll = (store: ValidatingWorkflowStore, ids: readonly string[], state: JsonDoc): Promise<void> =>
  inParallel(ids, 64, (id) => store.save(id, { type: 'invoice', status: 'created', state }));

/** The bytes of one stream entry's payload as the save script writes it: field `d` and "U\0id\0version\0type\0status". */
const eventPayload = (id: string, version: number): number => 1 + Buffer.byteLength(`U\0${id}\0${version}\0invoice\0created`);

/** Bytes of every event stream under `prefix` (MEMORY USAGE … SAMPLES 0) and the entries they hold (XLEN). */
async function streams(client: Redis, prefix: string): Promise<{ bytes: number; entries: number; keys: number; encodings: string }> {
  const usage = await keyUsage(client, `${prefix}:*`);
  return { bytes: usage.bytes.events, entries: usage.events, keys: usage.keys.events, encodings: encodingsOf(usage, 'events') };
}

/**
 * Redis memory per change-feed event: `feedMemoryWorkflows` workflows (1 KB state, history off) are created, then
 * rewritten `feedMemoryEventRewrites` times each with the same state, once unmeasured and then `rounds` times:
 * records keep their size and labels, so a round's used_memory delta ÷ its writes is what one event adds to its
 * shard's stream (median of the rounds). Redis preallocates 4 KB for a stream's newest node and shrinks it when
 * the node is full (100 entries), so a round must fill several nodes of every stream (here ~30 × workflows ÷ 64
 * entries a stream) for the delta to be the steady cost; the unmeasured round takes every stream past its first
 * node. No stream reaches EVENTS_MAX_PER_SHARD or the retention here, so nothing is trimmed. MEMORY USAGE of the
 * streams is shown beside it.
 */
async function perEvent(config: BenchConfig, redis: RedisProcess, log: (line: string) => void): Promise<Comparison> {
  const client = redis.client(EVENTS_DB);
  const store = await redisStore(`${redis.url}/${EVENTS_DB}`, EVENTS_PREFIX, { REDIS_PURGE_INTERVAL_MS: '0', REDIS_SHARDS: String(SHARDS), WORKFLOW_HISTORY_VERSIONS: '0' });
  const m = config.feedMemoryWorkflows;
  const rewrites = config.feedMemoryEventRewrites;
  try {
    const state = makeState(1024);
    const ids = Array.from({ length: m }, (_, n) => idOf(n));
    log(`memory-feed: per event, ${m} workflows, then 1 + ${config.rounds} rounds of ${rewrites} rewrites of each (history off)`);
    await inParallel(ids, 64, (id) => store.save(id, { type: 'invoice', status: 'created', state }));
    let version = 1;
    const round = async (): Promise<void> => {
      for (let r = 0; r < rewrites; r++) await rewriteAll(store, ids, state);
      version += rewrites;
    };
    await round();
    const perWrite: number[] = [];
    const perEntry: number[] = [];
    let payload = 0;
    for (let r = 0; r < config.rounds; r++) {
      const before = await usedMemory(client);
      const streamsBefore = await streams(client, EVENTS_PREFIX);
      const from = version;
      await round();
      const after = await usedMemory(client);
      const streamsAfter = await streams(client, EVENTS_PREFIX);
      perWrite.push((after - before) / (m * rewrites));
      perEntry.push((streamsAfter.bytes - streamsBefore.bytes) / (streamsAfter.entries - streamsBefore.entries));
      for (let v = from + 1; v <= version; v++) for (const id of ids) payload += eventPayload(id, v);
    }
    const final = await streams(client, EVENTS_PREFIX);
    const expected = m * (1 + rewrites * (1 + config.rounds));
    if (final.entries !== expected) throw new Error(`expected ${expected} events in the streams, found ${final.entries} (trimmed?)`);
    const delta = median(perWrite);
    const avgPayload = payload / (config.rounds * rewrites * m);
    return {
      group: 'memory-feed',
      figure: 'Redis memory per change-feed event',
      size: `${SHARDS} shards, ${Math.round(final.entries / final.keys)} events a stream at the end`,
      subjectLabel: 'used_memory delta per write, history off',
      baselineLabel: 'bytes of the entry (field d + its value)',
      subject: bytesOnly(delta),
      baseline: bytesOnly(avgPayload),
      ratio: delta / avgPayload,
      ratioMeaning: 'bytes per event ÷ bytes of its payload',
      unit: { subject: 'B/event', baseline: 'B of payload' },
      note:
        `used_memory delta ÷ writes, ${config.rounds} round(s) of ${m} × ${rewrites} after one unmeasured: ${perWrite.map((b) => b.toFixed(1)).join(', ')} B; ` +
        `MEMORY USAGE delta of the ${final.keys} streams ÷ entries added ${perEntry.map((b) => b.toFixed(1)).join(', ')} B (encoding ${final.encodings}); ` +
        `ids "${idOf(0)}"…"${idOf(m - 1)}", prefix "${EVENTS_PREFIX}", default tenant; at the default cap (EVENTS_MAX_PER_SHARD=10000 in each of 64 shards) ` +
        `a tenant's feed holds at most ~${((delta * 10_000 * SHARDS) / 2 ** 20).toFixed(0)} MiB`,
    };
  } finally {
    await store.close();
    client.disconnect();
  }
}

/** The string length of one record (header + state JSON): what a kept version holds. */
async function recordLength(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*}:w:*`, 'COUNT', 1000);
    const key = keys[0];
    if (key !== undefined) return client.strlen(key);
    cursor = next;
  } while (cursor !== '0');
  throw new Error(`no record under ${prefix}`);
}

/**
 * Redis memory per kept version: `feedMemoryWorkflows` workflows (1 KB state, events off, WORKFLOW_HISTORY_VERSIONS
 * = 10) are created, then rewritten 10 times each with the same state: every rewrite keeps the version it replaces,
 * so the used_memory delta of the 10 rounds ÷ their writes is a kept version's cost, the history hash's own key,
 * dict entry and TTL included (rounds 1 and 2–10 are also shown apart). Then two more rounds past the bound: each
 * drops the oldest version as it keeps one, so the delta should be about 0.
 */
async function perVersion(config: BenchConfig, redis: RedisProcess, log: (line: string) => void): Promise<Comparison> {
  const client = redis.client(HISTORY_DB);
  const store = await redisStore(`${redis.url}/${HISTORY_DB}`, HISTORY_PREFIX, {
    REDIS_PURGE_INTERVAL_MS: '0',
    REDIS_SHARDS: String(SHARDS),
    EVENTS_RETENTION_SECONDS: '0',
    WORKFLOW_HISTORY_VERSIONS: String(KEEP),
  });
  const m = config.feedMemoryWorkflows;
  try {
    const state = makeState(1024);
    const ids = Array.from({ length: m }, (_, n) => idOf(n));
    log(`memory-feed: per kept version, ${m} workflows, then ${KEEP} + ${PAST_BOUND_ROUNDS} rewrites of each (events off, ${KEEP} versions kept)`);
    await inParallel(ids, 64, (id) => store.save(id, { type: 'invoice', status: 'created', state }));
    const start = await usedMemory(client);
    await rewriteAll(store, ids, state);
    const afterFirst = await usedMemory(client);
    for (let r = 1; r < KEEP; r++) await rewriteAll(store, ids, state);
    const full = await usedMemory(client);
    const usage = await keyUsage(client, `${HISTORY_PREFIX}:*`);
    if (usage.historyVersions !== m * KEEP) throw new Error(`expected ${m * KEEP} kept versions, found ${usage.historyVersions}`);
    for (let r = 0; r < PAST_BOUND_ROUNDS; r++) await rewriteAll(store, ids, state);
    const past = await usedMemory(client);
    const after = await keyUsage(client, `${HISTORY_PREFIX}:*`);
    if (after.historyVersions !== m * KEEP) throw new Error(`past the bound: expected ${m * KEEP} kept versions, found ${after.historyVersions}`);
    const perKept = (full - start) / (m * KEEP);
    const record = await recordLength(client, HISTORY_PREFIX);
    return {
      group: 'memory-feed',
      figure: 'Redis memory per kept version (history)',
      size: '1 KB',
      subjectLabel: `used_memory delta per kept version, ${KEEP} kept, events off`,
      baselineLabel: 'bytes of the record kept (header + state JSON)',
      subject: bytesOnly(perKept),
      baseline: bytesOnly(record),
      ratio: perKept / record,
      ratioMeaning: 'bytes per kept version ÷ bytes of the record',
      unit: { subject: 'B/version', baseline: 'B of record' },
      note:
        `${m} workflows × ${KEEP} rewrites; first version kept (creates the history hash, its key and TTL) ${Math.round((afterFirst - start) / m)} B, ` +
        `each of the next ${KEEP - 1} ${Math.round((full - afterFirst) / (m * (KEEP - 1)))} B; ${PAST_BOUND_ROUNDS} rewrites past the bound ` +
        `${Math.round((past - full) / (m * PAST_BOUND_ROUNDS))} B per write (bounded: ${after.historyVersions} versions kept after them); ` +
        `MEMORY USAGE of the ${usage.keys.history} history hashes ÷ their ${usage.historyVersions} versions ${(usage.bytes.history / usage.historyVersions).toFixed(0)} B ` +
        `(encoding ${encodingsOf(usage, 'history')}); a workflow at the default bound holds ~${((perKept * KEEP) / 1024).toFixed(1)} KiB of history`,
    };
  } finally {
    await store.close();
    client.disconnect();
  }
}

/** Redis memory of the change feed (per event) and of the history (per kept version of a 1 KB workflow). */
export async function feedMemoryScenario(config: BenchConfig, redis: RedisProcess, log: (line: string) => void): Promise<Comparison[]> {
  return [await perEvent(config, redis, log), await perVersion(config, redis, log)];
}
