import { randomUUID } from 'node:crypto';
import { WorkflowCheckpointSaver, type ValidatingWorkflowStore } from '#workflow-store';
import type { LoadShape } from './measure.js';
import { makeThreads, type GraphThread } from './checkpoint-payloads.js';
import { makeState } from './documents.js';
import { fillStore } from './fill.js';
import { inParallel } from './in-parallel.js';
import { redisStore } from './store-factory.js';

/** One store operation whose Redis time is measured: how to call it, on what, and what it stands for. */
export interface CapacityOp {
  key: string;
  label: string;
  load: LoadShape;
  /** One call; `worker` is stable for a loop (0..concurrency-1), so a worker can own its workflow. */
  call: (worker: number) => Promise<unknown>;
  close(): Promise<void>;
}

/** A workflow's lease outlives every run, so no renewal meets an expired one. */
const LONG_LEASE_MS = 600_000;
/** Workflows per shard of the list store: past 128, so its index keys are skiplists as in any real store. */
const LIST_PER_SHARD = 200;
const SHARDS = 64;
/** Graph threads of the checkpoint figure (round robin: a thread is never in two puts at once at 32 in flight). */
const THREADS = 256;

/**
 * Every store here is as deployed (events and history at their defaults) but without the periodic sweeps, so nothing
 * but the measured calls talks to Redis. Each op has its own key prefix.
 */
const open = (url: string, prefix: string): Promise<ValidatingWorkflowStore> =>
  redisStore(url, prefix, { REDIS_PURGE_INTERVAL_MS: '0', LEASE_SWEEP_INTERVAL_MS: '0', REDIS_SHARDS: String(SHARDS) });

const state = makeState(1024);

async function perWorker(store: ValidatingWorkflowStore, workers: number): Promise<string[]> {
  const ids = Array.from({ length: workers }, () => randomUUID());
  await inParallel(ids, 64, (id) => store.save(id, { type: 'invoice', state }));
  return ids;
}

export async function capacityOps(url: string, redisLoad: LoadShape, listLoad: LoadShape): Promise<CapacityOp[]> {
  const workers = redisLoad.concurrency;
  const ops: CapacityOp[] = [];
  const closing = (store: ValidatingWorkflowStore) => () => store.close();

  const creates = await open(url, 'capc');
  ops.push({ key: 'create', label: 'create, 1 KB', load: redisLoad, call: () => creates.create({ id: randomUUID(), type: 'invoice', state }), close: closing(creates) });

  const keyed = await open(url, 'capk');
  ops.push({
    key: 'create-key',
    label: 'create with an Idempotency-Key, 1 KB',
    load: redisLoad,
    call: () => keyed.create({ id: randomUUID(), type: 'invoice', state }, { operationId: randomUUID() }),
    close: closing(keyed),
  });

  const reads = await open(url, 'capg');
  const readIds = await perWorker(reads, workers);
  ops.push({ key: 'get', label: 'get, 1 KB', load: redisLoad, call: (w) => reads.get(readIds[w] as string), close: closing(reads) });

  const updates = await open(url, 'capu');
  const updateIds = await perWorker(updates, workers);
  const versions = updateIds.map(() => 1);
  ops.push({
    key: 'update',
    label: 'update (expectedVersion), 1 KB',
    load: redisLoad,
    call: async (w) => {
      const updated = await updates.update(updateIds[w] as string, { state: { step: versions[w] as number } }, { expectedVersion: versions[w] as number });
      versions[w] = updated.version;
    },
    close: closing(updates),
  });

  const lists = await open(url, 'capl');
  await fillStore(lists, 'w-', SHARDS * LIST_PER_SHARD, () => state, { concurrency: 256 });
  const cursors: (string | null)[] = [];
  ops.push({
    key: 'list',
    label: `list page of 100, 1 KB records (${SHARDS * LIST_PER_SHARD} stored)`,
    load: listLoad,
    call: async (w) => {
      const page = await lists.list({ limit: 100, ...(cursors[w] ? { cursor: cursors[w] as string } : {}) });
      cursors[w] = page.nextCursor;
    },
    close: closing(lists),
  });

  const leases = await open(url, 'capr');
  const leaseIds = await perWorker(leases, workers);
  const tokens = await Promise.all(leaseIds.map(async (id) => (await leases.acquireLease(id, { owner: 'bench', ttlMs: LONG_LEASE_MS })).token));
  ops.push({
    key: 'renew',
    label: 'lease renewal',
    load: redisLoad,
    call: (w) => leases.renewLease(leaseIds[w] as string, tokens[w] as number, LONG_LEASE_MS),
    close: closing(leases),
  });

  const graphs = await open(url, 'capp');
  const saver = new WorkflowCheckpointSaver(graphs, { ttlSeconds: 3600 });
  const threads: GraphThread[] = makeThreads('cap', THREADS);
  await inParallel(threads, 32, (t) => t.put(saver)); // a thread's first put writes every channel: not a steady step
  let next = 0;
  ops.push({
    key: 'checkpoint-put',
    label: 'checkpoint put (LangGraph step, 2 628 B checkpoint)',
    load: { ...redisLoad, concurrency: 32 },
    call: () => (threads[next++ % THREADS] as GraphThread).put(saver),
    close: closing(graphs),
  });
  return ops;
}
