/**
 * The change feed on a Redis Cluster with more masters than 16 (20, no replicas) and REDIS_SHARDS=16384 (one shard
 * per slot: 16 384 shard streams and shard channels per tenant). One store (one process's worth of connections)
 * writes and watches:
 * - the writes land on every master (record keys counted with SCAN on each node, each master between half and twice
 *   its fair share) and the watch delivers every write exactly once, per workflow in write order (versions exactly
 *   1..final), with event ids strictly increasing;
 * - the connections the process holds, from CLIENT LIST on every node by connection name: command connections
 *   (`workflow-store`) at most one per node, feed subscriber connections (`workflow-store-feed`) at most one per
 *   master — not one per shard, tenant or watch (a second tenant's watch adds none);
 * - a live migration of a few slots from one master to another and back, five moves (as `redis-cli --cluster
 *   reshard` moves a slot: IMPORTING/MIGRATING, MIGRATE of its keys, SETSLOT NODE), so their shard streams migrate
 *   and their channels change master, while writers write to workflows in those slots and elsewhere: every
 *   acknowledged write is still delivered, once, in order, and the connection bounds still hold.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import type { ValidatingWorkflowStore, WorkflowEvent } from '#workflow-store';
import type { RedisKeys } from '../../libs/workflow-store/src/redis/redis-keys.js';
import { checkFeed, clientList, expectCleanFeed, FeedRecorder, head, KeyedWriters, type FeedWrite } from '../fault/change-feed.js';
import { inParallel } from '../support/in-parallel.js';
import { layoutOf } from '../support/redis-layout.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisCluster, type ClusterNodeInfo } from '../support/redis-cluster.js';

const MASTERS = 20;
const SHARDS = 16384;
const WORKFLOWS = 1500;
/** Writes per workflow after its create. */
const UPDATES = 2;
const MOVED_SLOTS = 8;
/** Moves of those slots: there, back, there, back, there. */
const MOVES = 5;
const WRITERS = 12;
const MOVING_WRITERS = 8;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: RedisCluster | undefined;
let store: ValidatingWorkflowStore | undefined;
let layout: RedisKeys;
const recorders: FeedRecorder[] = [];
const prefix = randomPrefix();

beforeAll(async () => {
  const started = Date.now();
  // No node is killed or restarted: AOF off; a long node timeout so 20 servers sharing 2 cores never mark each other failing.
  cluster = await RedisCluster.start({ masters: MASTERS, appendonly: false, parallel: true, nodeTimeoutMs: 5000 });
  store = await cluster.openStore(prefix, { REDIS_SHARDS: String(SHARDS), REDIS_PURGE_INTERVAL_MS: '0' });
  layout = layoutOf(prefix, 'default', SHARDS);
  console.log(`${MASTERS}-master cluster and store up in ${Date.now() - started} ms`);
}, 60_000);
afterAll(async () => {
  try {
    for (const recorder of recorders) await recorder.close();
    for (const client of admins.values()) client.disconnect();
    await store?.close();
  } finally {
    await cluster?.stop();
  }
});

const owns = (node: ClusterNodeInfo, slot: number): boolean => node.slots.some(([from, to]) => slot >= from && slot <= to);

/** Record keys of this test's prefix held by one node (SCAN on it). */
async function recordKeysOn(node: ClusterNodeInfo): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = (await node.server.command('SCAN', cursor, 'MATCH', `${prefix}:*:w:*`, 'COUNT', 1000)) as [string, string[]];
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

/**
 * Moves `slots` from one master to another the way `redis-cli --cluster reshard` does, slot by slot, live: IMPORTING
 * on the target, MIGRATING on the source, MIGRATE of the slot's keys in batches, then SETSLOT NODE on the target, the
 * source and every other master. (The redis-cli helper takes a source's lowest slots; this moves the same ones back.)
 */
async function moveSlots(slots: readonly number[], from: ClusterNodeInfo, to: ClusterNodeInfo, masters: readonly ClusterNodeInfo[]): Promise<void> {
  const [source, target] = [admin(from), admin(to)];
  for (const slot of slots) {
    await target.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', from.id);
    await source.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', to.id);
    for (;;) {
      const keys = (await source.call('CLUSTER', 'GETKEYSINSLOT', slot, 1000)) as string[];
      if (keys.length === 0) break;
      await source.call('MIGRATE', '127.0.0.1', to.server.port, '', 0, 5000, 'KEYS', ...keys);
    }
    await target.call('CLUSTER', 'SETSLOT', slot, 'NODE', to.id);
    await source.call('CLUSTER', 'SETSLOT', slot, 'NODE', to.id);
    await Promise.all(masters.filter((m) => m !== from && m !== to).map((m) => admin(m).call('CLUSTER', 'SETSLOT', slot, 'NODE', to.id)));
  }
}

/** A plain connection of the test's own to one node (for slot moves), closed in afterAll. */
const admins = new Map<number, Redis>();
function admin(node: ClusterNodeInfo): Redis {
  let client = admins.get(node.server.port);
  if (!client) {
    // MIGRATE blocks its node while it moves a slot's keys: on 2 loaded cores one took over 10 s.
    client = new Redis({ port: node.server.port, host: '127.0.0.1', maxRetriesPerRequest: 0, commandTimeout: 30_000 });
    admins.set(node.server.port, client);
  }
  return client;
}

interface Connections {
  perNode: { port: number; master: boolean; command: number; feed: number; other: string[] }[];
  command: number;
  feed: number;
}

/** This process's connections on every node, by connection name (the test's own helper connections have none). */
async function connections(): Promise<Connections> {
  const nodes = await (cluster as RedisCluster).nodes();
  const perNode = await Promise.all(
    nodes.map(async (node) => {
      const clients = await clientList((...args) => node.server.command(...args));
      const named = (name: string): number => clients.filter((c) => c.get('name') === name).length;
      const other = clients.map((c) => c.get('name') ?? '').filter((name) => name.includes('workflow-store') && name !== 'workflow-store' && name !== 'workflow-store-feed');
      return { port: node.server.port, master: node.role === 'master', command: named('workflow-store'), feed: named('workflow-store-feed'), other };
    }),
  );
  return { perNode, command: perNode.reduce((n, p) => n + p.command, 0), feed: perNode.reduce((n, p) => n + p.feed, 0) };
}

function describeConnections(c: Connections): string {
  const spread = (pick: (p: Connections['perNode'][number]) => number): string => {
    const counts = new Map<number, number>();
    for (const p of c.perNode) counts.set(pick(p), (counts.get(pick(p)) ?? 0) + 1);
    return [...counts].sort((a, b) => a[0] - b[0]).map(([n, nodes]) => `${nodes} node(s) with ${n}`).join(', ');
  };
  const other = c.perNode.flatMap((p) => p.other);
  return `command connections ${c.command} (${spread((p) => p.command)}), feed subscriber connections ${c.feed} (${spread((p) => p.feed)})${other.length ? `, transient: ${other.join(' ')}` : ''}`;
}

describe(`change feed on a ${MASTERS}-master Redis Cluster, REDIS_SHARDS=${SHARDS}`, () => {
  it(`delivers each of ${WORKFLOWS * (1 + UPDATES)} writes spread over every master exactly once, in order, on ≤ 1 command connection per node and ≤ 1 subscriber per master`, async () => {
    const root = store as ValidatingWorkflowStore;
    const watchStarted = Date.now();
    const live = new FeedRecorder(await root.watch({ type: 'spread' }));
    recorders.push(live);
    const watchMs = Date.now() - watchStarted;

    const ids = Array.from({ length: WORKFLOWS }, (_, i) => `feed-${i.toString().padStart(5, '0')}`);
    const writes: FeedWrite[] = [];
    const started = Date.now();
    await inParallel(WORKFLOWS, 32, async (i) => {
      const id = ids[i] as string;
      writes.push({ id, outcome: 'ok', version: (await root.create({ id, type: 'spread', state: { i } })).version });
      for (let n = 0; n < UPDATES; n++) writes.push({ id, outcome: 'ok', version: (await root.update(id, { state: { n } })).version });
    });
    const writeMs = Date.now() - started;
    const finals = new Map(ids.map((id) => [id, 1 + UPDATES]));
    const delivered = await live.waitFor((r) => r.events.length >= writes.length, 30_000);
    const lastMs = Date.now() - started;
    await sleep(500); // a repeat would arrive now
    const check = checkFeed(live.events, writes, finals);

    const masters = (await (cluster as RedisCluster).masters()).sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0));
    const perMaster = await Promise.all(masters.map((m) => recordKeysOn(m)));
    const streamsPerMaster = masters.map((m) => ids.filter((id) => owns(m, calculateSlot(layout.record(id)))).length);
    const fair = WORKFLOWS / MASTERS;

    // A second tenant's watch shares the subscriber connections (one per master for the whole process).
    const other = new FeedRecorder(await root.forTenant('acme').watch());
    recorders.push(other);
    const held = await connections();
    console.log(
      `feed on ${MASTERS} masters: watch live after ${watchMs} ms; ${writes.length} writes in ${writeMs} ms, all delivered ${lastMs} ms after the first write; ` +
        `workflows per master ${Math.min(...perMaster)}–${Math.max(...perMaster)} (fair ${fair}); one process with watches of two tenants holds ${describeConnections(held)}`,
    );
    expect(masters).toHaveLength(MASTERS);
    expect(perMaster.reduce((sum, n) => sum + n, 0)).toBe(WORKFLOWS);
    expect(perMaster).toEqual(streamsPerMaster);
    for (const n of perMaster) {
      expect(n).toBeGreaterThanOrEqual(fair / 2);
      expect(n).toBeLessThanOrEqual(fair * 2);
    }
    expect(delivered).toBe(true);
    expect(live.error).toBeUndefined();
    expect(live.resets).toEqual([]);
    expect(live.events).toHaveLength(writes.length);
    expectCleanFeed(check);
    expect(held.perNode.filter((p) => p.command > 1)).toEqual([]);
    expect(held.command).toBeLessThanOrEqual(held.perNode.length);
    expect(held.perNode.filter((p) => p.feed > 1 || (p.feed > 0 && !p.master))).toEqual([]);
    expect(held.feed).toBeLessThanOrEqual(MASTERS);
    expect(held.feed).toBe(MASTERS); // every master holds shards of the tenant, so each has its subscriber
  }, 90_000);

  it(`delivers every acknowledged write once, in order, while ${MOVED_SLOTS} slots move between two masters and back (${MOVES} moves)`, async () => {
    const root = store as ValidatingWorkflowStore;
    const masters = await (cluster as RedisCluster).masters();
    const source = masters[3] as ClusterNodeInfo;
    const target = masters[11] as ClusterNodeInfo;
    const firstSlot = source.slots[0]?.[0] as number;
    const slots = Array.from({ length: MOVED_SLOTS }, (_, i) => firstSlot + i);
    const moving = (id: string): boolean => slots.includes(calculateSlot(layout.record(id)));
    // Most writers write to workflows in the moving slots (their shard's stream moves, their channel changes master).
    const ids: string[] = [];
    while (ids.length < WRITERS) {
      const moves = ids.length < MOVING_WRITERS;
      const id = randomId(moves ? 'mv' : 'st'); // mv-…: in a moving slot, st-…: staying
      if (moving(id) === moves) ids.push(id);
    }
    const live = new FeedRecorder(await root.watch({ type: 'moving' }));
    recorders.push(live);
    const writers = new KeyedWriters(root);
    await writers.create(ids, 'moving');
    writers.start(ids);
    const { writes } = writers;
    const moveTimes: number[] = [];
    const moveWindows: [number, number][] = [];
    try {
      await sleep(300);
      for (let move = 0; move < MOVES; move++) {
        const [from, to] = move % 2 === 0 ? [source, target] : [target, source];
        const started = Date.now();
        await moveSlots(slots, from, to, masters).catch((error: unknown) => {
          // Printed at once: if stopping the writers then fails too, that error is the one the test reports.
          console.error(`move ${move + 1} failed: ${(error as Error).message}`);
          throw new Error(`move ${move + 1} (${from.server.port} → ${to.server.port}) failed: ${(error as Error).message}`);
        });
        moveTimes.push(Date.now() - started);
        moveWindows.push([started, Date.now()]);
        await sleep(300);
      }
      await sleep(500); // writers go on against the slots' final master
    } finally {
      await writers.stop();
    }
    const owner = (await (cluster as RedisCluster).masters()).find((m) => m.id === (MOVES % 2 === 1 ? target.id : source.id)) as ClusterNodeInfo;
    const finals = await writers.finals();
    const delivered = await live.waitForFinals(finals, 15_000);
    await sleep(500);
    const check = checkFeed(live.events, writes, finals);
    const held = await connections();
    const movedWrites = writes.filter((w) => w.outcome === 'ok' && moving(w.id)).length;
    // For a failure: when each missing event was written (its stream id, read directly), relative to the moves.
    const stream = async (id: string): Promise<[string, string[]][]> =>
      (await (root as unknown as { backend: { client: { xrange(key: string, a: string, b: string): Promise<[string, string[]][]> } } }).backend.client.xrange(layout.forWorkflow(id).events, '-', '+'));
    const whenMissing: string[] = [];
    for (const missing of check.missing.slice(0, 5)) {
      const [id, version] = missing.split('@') as [string, string];
      const entry = (await stream(id)).find(([, fields]) => (fields[1] ?? '').split('\u0000').slice(1, 3).join('@') === `${id}@${version}`);
      const at = Number(entry?.[0].split('-')[0]);
      const move = moveWindows.findIndex(([a, b]) => at >= a && at <= b);
      whenMissing.push(`${missing} written at stream id ${String(entry?.[0])} (${move >= 0 ? `during move ${move + 1}` : `${Math.min(...moveWindows.map(([, b]) => Math.abs(at - b)))} ms from a move's end`})`);
    }
    console.log(
      `${MOVES} moves of ${MOVED_SLOTS} slots between :${source.server.port} and :${target.server.port} (${moveTimes.join(', ')} ms) under load: ` +
        `${writers.acknowledged} acknowledged writes (${movedWrites} to workflows in the moving slots), ${writers.unknowns} outcome-unknown, ` +
        `${writers.unavailable} unavailable; feed ${live.events.length} events, missing ${check.missing.length}: ${whenMissing.join('; ') || '-'}; afterwards ${describeConnections(held)}`,
    );
    expect(slots.every((slot) => owns(owner, slot))).toBe(true);
    expect(writers.unexpected).toEqual([]);
    expect(movedWrites).toBeGreaterThan(100);
    expect(delivered).toBe(true);
    expect(live.error).toBeUndefined();
    // A write made while its slot migrates can reach the reader after later events went out: the live watch is then
    // told so with a `gap` reset (README, Change feed), never left with a silent hole; nothing else differs.
    expect(live.resets.filter((reason) => reason !== 'gap')).toEqual([]);
    if (check.missing.length > 0 || check.versionGaps.length > 0) expect(live.resets.length).toBeGreaterThan(0);
    expect({ duplicates: head(check.duplicates), outOfOrder: head(check.outOfOrder), positionsBackwards: head(check.positionsBackwards) }).toEqual({
      duplicates: [],
      outOfOrder: [],
      positionsBackwards: [],
    });
    // The streams hold every event: a watch resuming from before the first write reads them all, once, in order.
    const first = live.events[0] as WorkflowEvent;
    const resumed = new FeedRecorder(await root.watch({ type: 'moving' }, { after: `${Number(first.eventId.split('-')[0]) - 1}-0-0` }));
    recorders.push(resumed);
    // A resume reads all 16 384 shards' streams (an XINFO and an XRANGE each, over 20 masters): up to 30 s here.
    const resumedAt = Date.now();
    const caughtUp = await resumed.waitForFinals(finals, 30_000);
    const replayed = checkFeed(resumed.events, writes, finals);
    console.log(
      `resumed from before the first write: ${resumed.events.length} events in ${Date.now() - resumedAt} ms (caught up: ${caughtUp}), ` +
        `resets ${resumed.resets.join(',') || '-'}, error ${String(resumed.error)}, missing ${replayed.missing.length} (${head(replayed.missing).join(', ')}); live resets ${live.resets.join(',') || '-'}`,
    );
    expect(caughtUp).toBe(true);
    expect(resumed.resets).toEqual([]);
    expectCleanFeed(replayed);
    expect(held.perNode.filter((p) => p.command > 1)).toEqual([]);
    expect(held.perNode.filter((p) => p.feed > 1 || (p.feed > 0 && !p.master))).toEqual([]);
  }, 120_000);
});
