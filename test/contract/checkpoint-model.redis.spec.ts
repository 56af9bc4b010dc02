import { afterAll, beforeAll, expect } from '@jest/globals';
import { Redis } from 'ioredis';
import { createWorkflowStore, loadWorkflowStoreConfig } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { randomPrefix } from '../support/random-ids.js';
import { dropClient } from '../support/redis-client.js';
import { layoutOf } from '../support/redis-layout.js';
import { RedisServer } from '../support/redis-server.js';
import { describeCheckpointModel, type ThreadAudit } from './checkpoint-model.js';

// The model on a private redis-server, with an audit of the thread's keys after every command (admin connection).
let server: RedisServer;
let admin: Redis;
const prefix = randomPrefix();
beforeAll(async () => {
  server = await RedisServer.start();
  admin = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
  await admin.connect();
});
afterAll(async () => {
  if (admin) dropClient(admin);
  await server?.stop();
});

/** Keys of the tenant (all its shards) without a TTL, found with SCAN (tests only). */
async function tenantKeysWithoutTtl(tenant: string): Promise<string[]> {
  const missing: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:{${tenant}:*`, 'COUNT', 1000);
    cursor = next;
    const ttls = await Promise.all(keys.map((key) => admin.pttl(key)));
    ttls.forEach((ttl, i) => {
      if (ttl === -1) missing.push(keys[i] as string);
    });
  } while (cursor !== '0');
  return missing;
}

/**
 * The thread's keys as includes/checkpoints.lua lays them out: the checkpoint records are exactly the ones the
 * saver must hold (hash and zset alike); every value record ("b\0ns\0ch\0writer") is referred to by some stored
 * checkpoint's "r" field and every reference has its value (no leak, nothing dangling), with the count ("n") of its
 * references; nothing else is left of a pruned checkpoint; the hash and zset expire with the workflow; a thread
 * that does not exist has no key at all. (The hash also holds "l\0" and "x\0", the thread's root bookkeeping.)
 */
async function auditThreads(tenant: string, threads: readonly ThreadAudit[]): Promise<void> {
  expect({ tenant, keysWithoutTtl: await tenantKeysWithoutTtl(tenant) }).toEqual({ tenant, keysWithoutTtl: [] });
  const layout = layoutOf(prefix, tenant);
  for (const thread of threads) {
    const keys = layout.forWorkflow(thread.thread);
    const what = `${tenant}/${thread.thread}`;
    if (!thread.exists) {
      expect({ what, keysLeft: await admin.exists(keys.record, keys.history, keys.checkpoints, keys.checkpointOrder) }).toEqual({ what, keysLeft: 0 });
      continue;
    }
    const [hash, order, recordAt, hashAt, orderAt] = await Promise.all([
      admin.hgetallBuffer(keys.checkpoints),
      admin.zrange(keys.checkpointOrder, '0', '-1'),
      admin.call('PEXPIRETIME', keys.record),
      admin.call('PEXPIRETIME', keys.checkpoints),
      admin.call('PEXPIRETIME', keys.checkpointOrder),
    ]);
    expect({ what, hashAt, orderAt }).toEqual({ what, hashAt: recordAt, orderAt: recordAt });

    const expected = [...thread.stored].flatMap(([ns, ids]) => [...ids].map((id) => `${ns}\0${id}`)).sort();
    expect({ what, zset: [...order].sort() }).toEqual({ what, zset: expected });

    const checkpoints = new Set<string>();
    const perCheckpoint = new Map<string, Set<string>>(); // ns\0id -> kinds present (r, a, i)
    const values = new Map<string, Buffer>(); // ns\0ch\0writer -> value
    const counts = new Map<string, number>(); // ns\0ch\0writer -> n
    const writes: string[] = []; // ns\0id\0task\0idx
    const indexes = new Map<string, string[]>(); // ns\0id -> "task\0idx" entries
    const refs = new Map<string, string[]>(); // ns\0id -> "ns\0ch\0writer" references
    for (const [field, value] of Object.entries(hash)) {
      const cut = field.indexOf('\0');
      const kind = field.slice(0, cut);
      const rest = field.slice(cut + 1);
      const kinds = (at: string): Set<string> => {
        const set = perCheckpoint.get(at) ?? new Set<string>();
        perCheckpoint.set(at, set);
        return set;
      };
      switch (kind) {
        case 'c':
          checkpoints.add(rest);
          break;
        case 'r': {
          kinds(rest).add('r');
          const ns = rest.slice(0, rest.indexOf('\0'));
          const parts = value.length > 0 ? value.toString().split('\x01') : [];
          if (parts.length % 3 !== 0) throw new Error(`${what}: malformed references ${JSON.stringify(value.toString())} of ${JSON.stringify(rest)}`);
          const list: string[] = [];
          for (let i = 0; i < parts.length; i += 3) list.push(`${ns}\0${parts[i]}\0${parts[i + 2]}`);
          refs.set(rest, list);
          break;
        }
        case 'a':
          kinds(rest).add('a');
          break;
        case 'i':
          kinds(rest).add('i');
          indexes.set(rest, value.length > 0 ? value.toString().split('\x01') : []);
          break;
        case 'b':
          values.set(rest, value);
          break;
        case 'n':
          counts.set(rest, Number(value.toString()));
          break;
        case 'w':
          writes.push(rest);
          break;
        case 'l':
        case 'x':
          // "l\0" / "x\0": the root namespace's newest checkpoint put / newest one an interrupt was written for.
          if (rest !== '') throw new Error(`${what}: unexpected field ${JSON.stringify(field)} in the checkpoint hash`);
          break;
        default:
          throw new Error(`${what}: unknown field ${JSON.stringify(field)} in the checkpoint hash`);
      }
    }
    expect({ what, records: [...checkpoints].sort() }).toEqual({ what, records: expected });
    for (const [at, kinds] of perCheckpoint) {
      if (!checkpoints.has(at)) throw new Error(`${what}: fields ${[...kinds].join(', ')} of ${JSON.stringify(at)} left without its checkpoint record`);
    }
    for (const at of checkpoints) {
      const kinds = perCheckpoint.get(at);
      if (!kinds?.has('r') || !kinds.has('a')) throw new Error(`${what}: checkpoint ${JSON.stringify(at)} lacks its r or a field`);
    }
    // References and values: counted, none dangling, none orphaned.
    const referenced = new Map<string, number>();
    for (const [at, list] of refs) {
      for (const value of list) {
        if (!values.has(value)) throw new Error(`${what}: checkpoint ${JSON.stringify(at)} refers to ${JSON.stringify(value)}, which is not stored (dangling)`);
        referenced.set(value, (referenced.get(value) ?? 0) + 1);
      }
    }
    const orphans = [...values.keys()].filter((value) => !referenced.has(value));
    expect({ what, orphanValues: orphans.map((o) => JSON.stringify(o)) }).toEqual({ what, orphanValues: [] });
    expect({ what, counts: Object.fromEntries([...counts].sort()) }).toEqual({ what, counts: Object.fromEntries([...referenced].sort()) });
    // Pending writes: each of a stored checkpoint, and listed in its index.
    for (const write of writes) {
      const parts = write.split('\0');
      const at = `${parts[0]}\0${parts[1]}`;
      if (!checkpoints.has(at)) throw new Error(`${what}: pending write ${JSON.stringify(write)} left without its checkpoint`);
      if (!indexes.get(at)?.includes(`${parts[2]}\0${parts[3]}`)) throw new Error(`${what}: pending write ${JSON.stringify(write)} missing from its index`);
    }
    const indexed = [...indexes.values()].reduce((sum, list) => sum + list.length, 0);
    expect({ what, indexedWrites: indexed }).toEqual({ what, indexedWrites: writes.length });
  }
}

describeCheckpointModel(
  {
    name: 'redis',
    async makeStore() {
      const env = { USE_REDIS: 'true', REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix, REDIS_COMMAND_TIMEOUT_MS: '5000', WORKFLOW_STATE_TTL: '600' };
      const store = createWorkflowStore(loadWorkflowStoreConfig(env), quietLogger());
      await store.connect();
      return store;
    },
    audit: (_store, tenant, threads) => auditThreads(tenant, threads),
  },
  { runs: 25, freeRuns: 10, maxCommands: 25 },
);
