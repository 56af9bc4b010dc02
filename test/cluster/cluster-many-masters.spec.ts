/**
 * A Redis Cluster with more masters than 16 (20 masters, no replicas) and REDIS_SHARDS=256: storage format v2
 * places the 256 shards of each (prefix, tenant) evenly over the 16384 slots from an offset of their own, so every
 * master holds a fair share of every tenant, not only of the whole store. Checked with 2 × 5 000 workflows of two
 * tenants, counted per master with SCAN on each node (each master between half and twice its fair share, per
 * tenant); each tenant's list walk returns each of its workflows exactly once and none of the other's; and the
 * whole contract suite, unchanged, on that cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import calculateSlot from 'cluster-key-slot';
import type { ValidatingWorkflowStore, Workflow } from '#workflow-store';
import { describeWorkflowStoreContract } from '../contract/workflow-store.contract.js';
import { layoutOf } from '../support/redis-layout.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisCluster, type ClusterNodeInfo } from '../support/redis-cluster.js';
import { inParallel } from '../support/in-parallel.js';

const MASTERS = 20;
const SHARDS = 256;
const PER_TENANT = 5_000;
const TENANTS = ['acme', 'globex'] as const;
type Tenant = (typeof TENANTS)[number];

let cluster: RedisCluster | undefined;
let store: ValidatingWorkflowStore | undefined;
const prefix = randomPrefix();

beforeAll(async () => {
  // No node is ever restarted or killed here: AOF off, and a long node timeout so that 20 servers sharing 2 cores
  // with the test process can never mark each other failing under load.
  const started = Date.now();
  cluster = await RedisCluster.start({ masters: MASTERS, appendonly: false, parallel: true, nodeTimeoutMs: 5000 });
  console.log(`${MASTERS}-master cluster up in ${Date.now() - started} ms`);
  store = await cluster.openStore(prefix, { REDIS_SHARDS: String(SHARDS) });
}, 60_000);
afterAll(async () => {
  try {
    await store?.close();
  } finally {
    await cluster?.stop();
  }
});


/** Record keys (`<prefix>:{<tenant>:<shards>:…}:w:<id>`) of one tenant held by one node, counted with SCAN on it. */
async function recordKeysOn(node: ClusterNodeInfo, tenant: Tenant): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = (await node.server.command('SCAN', cursor, 'MATCH', `${prefix}:{${tenant}:${SHARDS}:*}:w:*`, 'COUNT', 1000)) as [string, string[]];
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

const owns = (node: ClusterNodeInfo, slot: number): boolean => node.slots.some(([from, to]) => slot >= from && slot <= to);
const idOf = (tenant: Tenant, i: number): string => `${tenant}-${i.toString().padStart(5, '0')}`;

/** Every workflow of a view, by a list walk in pages of 1 000. */
async function walk(view: ValidatingWorkflowStore): Promise<Workflow[]> {
  const items: Workflow[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await view.list({ limit: 1000, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
    if (++pages > (2 * PER_TENANT) / 1000 + 2) throw new Error(`list did not end after ${pages} pages`);
  } while (cursor);
  return items;
}

describe(`Redis Cluster with ${MASTERS} masters, REDIS_SHARDS=${SHARDS}, two tenants`, () => {
  it(`spreads each tenant's ${PER_TENANT} workflows over all ${MASTERS} masters (each between half and twice its fair share)`, async () => {
    const root = store as ValidatingWorkflowStore;
    const nodes = cluster as RedisCluster;
    const started = Date.now();
    // Both tenants written at once, 32 creates in flight each.
    await Promise.all(
      TENANTS.map((tenant) =>
        inParallel(PER_TENANT, 32, async (i) => {
          await root.forTenant(tenant).create({ id: idOf(tenant, i), type: 'spread', state: { tenant, i } });
        }),
      ),
    );
    console.log(`${TENANTS.length} × ${PER_TENANT} creates in ${Date.now() - started} ms`);

    const masters = (await nodes.masters()).sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0));
    expect(masters).toHaveLength(MASTERS);
    const fair = PER_TENANT / MASTERS;
    const rows: string[] = [];
    const counts = new Map<Tenant, number[]>();
    for (const tenant of TENANTS) {
      const layout = layoutOf(prefix, tenant, SHARDS);
      const shardSlots = Array.from({ length: SHARDS }, (_, shard) => calculateSlot(layout.tag(shard)));
      const perMaster = await Promise.all(masters.map((m) => recordKeysOn(m, tenant)));
      counts.set(tenant, perMaster);
      masters.forEach((m, i) => {
        const shards = shardSlots.filter((slot) => owns(m, slot)).length;
        rows.push(`  ${tenant.padEnd(6)} :${m.server.port} slots ${m.slots.map(([a, b]) => `${a}-${b}`).join(',').padEnd(11)} shards ${String(shards).padStart(2)} workflows ${String(perMaster[i]).padStart(4)} (${((perMaster[i] as number) / fair).toFixed(2)}× fair)`);
      });
    }
    const range = (tenant: Tenant): string => `${tenant} ${Math.min(...(counts.get(tenant) as number[]))}–${Math.max(...(counts.get(tenant) as number[]))}`;
    console.log(`workflows per master (fair share ${fair} a tenant; ${TENANTS.map(range).join(', ')}):\n${rows.join('\n')}`);
    for (const tenant of TENANTS) {
      const perMaster = counts.get(tenant) as number[];
      expect(perMaster.reduce((sum, n) => sum + n, 0)).toBe(PER_TENANT);
      for (const n of perMaster) {
        expect(n).toBeGreaterThanOrEqual(fair / 2);
        expect(n).toBeLessThanOrEqual(fair * 2);
      }
    }
  }, 60_000);

  it("walks each tenant's list: each of its workflows exactly once, none of the other tenant's", async () => {
    const root = store as ValidatingWorkflowStore;
    for (const tenant of TENANTS) {
      const items = await walk(root.forTenant(tenant));
      const ids = items.map((w) => w.id);
      expect(ids).toHaveLength(PER_TENANT);
      expect(new Set(ids).size).toBe(PER_TENANT);
      expect([...ids].sort()).toEqual(Array.from({ length: PER_TENANT }, (_, i) => idOf(tenant, i)));
      expect(items.filter((w) => (w.state as { tenant?: string }).tenant !== tenant)).toEqual([]);
    }
    // The default tenant (the store itself) has none of them.
    expect((await root.list({ limit: 10 })).items).toEqual([]);
  }, 30_000);
});

describeWorkflowStoreContract(`redis cluster, ${MASTERS} masters, REDIS_SHARDS=${SHARDS}`, (env = {}) =>
  (cluster as RedisCluster).openStore(randomPrefix(), { REDIS_SHARDS: String(SHARDS), WORKFLOW_STATE_TTL: '60', REDIS_COMMAND_TIMEOUT_MS: '5000', ...env }),
);
