/**
 * `workflow-store upgrade`, run as the built CLI against a private redis-server: v1 data written by the v1 scripts
 * as shipped (default tenant and two more, live, short-lived, expired and deleted workflows) moved to v2 in place
 * with everything kept; a second run moves nothing; a run killed with SIGKILL and re-run ends with equal data;
 * a dry run changes nothing; a copy into another prefix leaves the source as it was; a refused workflow keeps its
 * tenant refused until a re-run moves it; a v2 re-shard 16 → 256 with the service-side refusals around it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  createWorkflowStore,
  loadWorkflowStoreConfig,
  replayOf,
  StorageFormatError,
  type RedisOptions,
  type ValidatingWorkflowStore,
  type Workflow,
  type WorkflowStore,
} from '#workflow-store';
import { runCli, startCli, type CliResult } from '../support/cli-process.js';
import { keysWithoutTtl } from '../support/key-ttl.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomPrefix } from '../support/random-ids.js';
import { layoutOf } from '../support/redis-layout.js';
import { RedisServer } from '../support/redis-server.js';
import { defineV1Scripts, v1KeysLeft, V1Writer } from './v1-data.js';
import { allWorkflows } from './workflow-files.js';

/** The shard count a store gets without REDIS_SHARDS, and so the upgrade's default target. */
const DEFAULT_SHARDS = 64;

let server: RedisServer;
let raw: Redis;
const stores: ValidatingWorkflowStore[] = [];

beforeAll(async () => {
  server = await RedisServer.start();
  raw = new Redis(server.url);
  defineV1Scripts(raw);
});

/** Each test's stores are closed at its end: the upgrade warns about store connections left open (a running service). */
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

afterAll(async () => {
  for (const store of stores) await store.close();
  raw?.disconnect();
  await server?.stop();
});

/** A v2 store as the service would open it (format checks on, unless `redis` says otherwise), closed after the test. */
async function openStore(prefix: string, shards?: number, redis: Partial<RedisOptions> = {}): Promise<ValidatingWorkflowStore> {
  const config = loadWorkflowStoreConfig({
    USE_REDIS: 'true',
    REDIS_URL: server.url,
    REDIS_KEY_PREFIX: prefix,
    REDIS_PERSISTENCE_CHECK: 'off',
    REDIS_PURGE_INTERVAL_MS: '0',
    ...(shards === undefined ? {} : { REDIS_SHARDS: String(shards) }),
  });
  const store = createWorkflowStore({ ...config, redis: { ...config.redis, ...redis } }, quietLogger());
  stores.push(store);
  await store.connect();
  return store;
}

function upgrade(prefix: string, args: string[] = [], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(['upgrade', '--redis-url', server.url, ...args], { REDIS_KEY_PREFIX: prefix, ...env });
}

interface Figures {
  moved: number;
  'skipped-same': number;
  'skipped-newer': number;
  'skipped-expired': number;
  failed: number;
}

const COUNTS = /moved (\d+), skipped-same (\d+), skipped-newer (\d+), skipped-expired (\d+), failed (\d+)/;

function figuresOf(match: RegExpMatchArray): Figures {
  const [moved, same, newer, expired, failed] = match.slice(-5).map(Number) as [number, number, number, number, number];
  return { moved, 'skipped-same': same, 'skipped-newer': newer, 'skipped-expired': expired, failed };
}

/** The totals of a summary line, and its per-tenant figures by tenant. */
function summaryOf(stdout: string): { totals: Figures; tenants: Record<string, Figures> } {
  const totals = COUNTS.exec(stdout);
  if (!totals) throw new Error(`no summary in: ${stdout}`);
  const tenants = [...stdout.matchAll(new RegExp(`(?:\\[|; )([A-Za-z0-9_.-]+) [^;\\]]*?→ [^;\\]]*?: ${COUNTS.source}`, 'g'))];
  return { totals: figuresOf(totals), tenants: Object.fromEntries(tenants.map((m) => [m[1] as string, figuresOf(m)])) };
}

const figures = (moved: number, expired = 0, same = 0, failed = 0): Figures => ({
  moved,
  'skipped-same': same,
  'skipped-newer': 0,
  'skipped-expired': expired,
  failed,
});

/** Every key under the prefix with its value (DUMP) and absolute expiry: equal digests mean nothing was written. */
async function prefixDigest(prefix: string): Promise<{ keys: number; digest: string }> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, page] = await raw.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...page);
  } while (cursor !== '0');
  keys.sort();
  const hash = createHash('sha256');
  for (let i = 0; i < keys.length; i += 1000) {
    const pipeline = raw.pipeline();
    for (const key of keys.slice(i, i + 1000)) pipeline.dumpBuffer(key).pexpiretime(key);
    const replies = (await pipeline.exec()) ?? [];
    keys.slice(i, i + 1000).forEach((key, j) => {
      hash.update(key).update(replies[2 * j]?.[1] as Buffer).update(String(replies[2 * j + 1]?.[1]));
    });
  }
  return { keys: keys.length, digest: hash.digest('hex') };
}

interface Expected {
  workflow: Workflow;
  expiresAtMs: number;
}

/** The v2 store of `tenant` holds exactly `expected`, field by field, each record key expiring when its v1 key would have. */
async function expectMoved(store: WorkflowStore, prefix: string, tenant: string, shards: number, expected: Map<string, Expected>): Promise<void> {
  const found = await allWorkflows(store);
  expect(found.size).toBe(expected.size);
  for (const [id, { workflow }] of expected) expect(found.get(id)).toEqual(workflow);
  const keys = layoutOf(prefix, tenant, shards);
  const ids = [...expected.keys()];
  const pipeline = raw.pipeline();
  for (const id of ids) pipeline.pttl(keys.record(id));
  const pttls = ((await pipeline.exec()) ?? []).map(([, ttl]) => Number(ttl));
  const now = Date.now();
  const off = ids.filter((id, i) => Math.abs((pttls[i] as number) - ((expected.get(id) as Expected).expiresAtMs - now)) >= 1000);
  expect(off).toEqual([]);
}

function stateOf(tenant: string, i: number, step: number): Workflow['state'] {
  return { tenant, i, step, pages: Array.from({ length: 4 }, (_, p) => ({ page: p, words: (i * 7 + p) % 97 })), text: 'é漢🙂 '.repeat(10) };
}

/**
 * v1 workflows of one tenant: `live` created (every 10th with a 30 s TTL, every 4th with an operation id), a
 * third saved once or twice more, then `deleted` more created and deleted with an operation id (their v1
 * idempotency logs stay behind).
 */
function writeV1Tenant(writer: V1Writer, live: number, deleted = 0): Promise<unknown> {
  const pipeline = raw.pipeline();
  const tenant = writer.tenant ?? 'default';
  for (let i = 0; i < live + deleted; i++) {
    const id = `wf-${i}`;
    writer.create(pipeline, id, i % 2 === 0 ? 'invoice' : 'form', stateOf(tenant, i, 0), i % 10 === 0 ? 30 : 3600, i % 4 === 0 ? `op-c-${i}` : '');
    for (let step = 1; step <= i % 3; step++) {
      writer.save(pipeline, id, step === 1 ? 'review' : 'approved', stateOf(tenant, i, step), i % 4 === 1 ? `op-s-${i}-${step}` : '');
    }
    if (i >= live) writer.delete(pipeline, id, `op-d-${i}`);
  }
  return pipeline.exec();
}

/** v1 workflows with a 1 s TTL, written last (a later v1 write would sweep their index entries) and left to expire. */
async function writeExpiring(writers: V1Writer[], each: number): Promise<void> {
  const pipeline = raw.pipeline();
  for (const writer of writers) for (let i = 0; i < each; i++) writer.create(pipeline, `gone-${i}`, 'form', { gone: i }, 1);
  await pipeline.exec();
  await new Promise((resolve) => setTimeout(resolve, 1500));
}

describe('v1 → v2 in place', () => {
  const prefix = randomPrefix();
  const tenants = [
    { name: 'default', writer: new V1Writer(prefix, undefined), live: 300, deleted: 10 },
    { name: 'acme', writer: new V1Writer(prefix, 'acme'), live: 200, deleted: 10 },
    { name: 'beta.x', writer: new V1Writer(prefix, 'beta.x'), live: 100, deleted: 10 },
  ];
  const EXPIRED = 5;
  const expected = new Map<string, Map<string, Expected>>();

  beforeAll(async () => {
    for (const t of tenants) await writeV1Tenant(t.writer, t.live, t.deleted);
    await writeExpiring(
      tenants.map((t) => t.writer),
      EXPIRED,
    );
    for (const t of tenants) expected.set(t.name, await t.writer.readAll(raw));
    for (const t of tenants) expect(expected.get(t.name)?.size).toBe(t.live);
  });

  it('a v2 store refuses to start over v1 data, naming the upgrade command', async () => {
    const refused = openStore(prefix);
    await expect(refused).rejects.toBeInstanceOf(StorageFormatError);
    await expect(refused).rejects.toThrow(/data in storage format v1; run `workflow-store upgrade`/);
  });

  it('moves every tenant, keeping ids, versions, timestamps and remaining TTLs, and leaves no v1 key', async () => {
    const run = await upgrade(prefix);
    process.stdout.write(`upgrade v1 → v2 (${(run.ms / 1000).toFixed(1)} s): ${run.stdout}`);
    expect(run.stderr).not.toMatch(/error|warning/i);
    expect(run.code).toBe(0);
    const summary = summaryOf(run.stdout);
    expect(summary.totals).toEqual(figures(600, 3 * EXPIRED));
    expect(summary.tenants).toEqual({ default: figures(300, EXPIRED), acme: figures(200, EXPIRED), 'beta.x': figures(100, EXPIRED) });
    // The idempotency logs of the 30 deleted workflows were not carried; the sweep removed them.
    expect(run.stdout).toContain('30 leftover keys removed');
    expect(run.stdout).toContain('v1 idempotency logs not carried');

    const store = await openStore(prefix);
    for (const t of tenants) {
      await expectMoved(store.forTenant(t.name), prefix, t.name, DEFAULT_SHARDS, expected.get(t.name) as Map<string, Expected>);
    }
    expect(await v1KeysLeft(raw, prefix)).toEqual([]);
    expect(await keysWithoutTtl(raw, prefix)).toEqual([]);
    const records = await raw.hgetall(`${prefix}:format`);
    expect(Object.keys(records).sort()).toEqual(['acme', 'beta.x', 'default']);
    for (const text of Object.values(records)) expect(JSON.parse(text)).toEqual({ format: 2, shards: DEFAULT_SHARDS, since: expect.any(String) });
  });

  it('a second run finds nothing to move and writes nothing', async () => {
    const before = await prefixDigest(prefix);
    const run = await upgrade(prefix);
    expect(run.code).toBe(0);
    expect(summaryOf(run.stdout).totals).toEqual(figures(0));
    expect(run.stdout).toContain('0 tenants to move');
    expect(run.stdout).toContain('3 tenants already current');
    expect(await prefixDigest(prefix)).toEqual(before);
  });
});

describe('resume after SIGKILL', () => {
  const prefix = randomPrefix();
  const writers = [new V1Writer(prefix, undefined), new V1Writer(prefix, 'acme')];
  const sizes = [12_000, 8_000];
  const TOTAL = 20_000;

  it(`a run over ${TOTAL} v1 workflows killed mid-way leaves the data refused by the service; the re-run finishes with equal data`, async () => {
    for (let w = 0; w < writers.length; w++) {
      const writer = writers[w] as V1Writer;
      for (let from = 0; from < (sizes[w] as number); from += 2000) {
        const pipeline = raw.pipeline();
        for (let i = from; i < from + 2000; i++) writer.create(pipeline, `wf-${i}`, 'form', { i, text: 'x'.repeat(200) }, 3600);
        await pipeline.exec();
      }
    }
    const expected = await Promise.all(writers.map((writer) => writer.readAll(raw)));
    const indexed = async (): Promise<number> => (await Promise.all(writers.map((writer) => writer.indexed(raw)))).reduce((a, b) => a + b, 0);
    expect(await indexed()).toBe(TOTAL);

    const killed = startCli(['upgrade', '--redis-url', server.url], { REDIS_KEY_PREFIX: prefix });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && killed.child.exitCode === null && (await indexed()) > TOTAL - 3000) await new Promise((r) => setTimeout(r, 5));
    killed.child.kill('SIGKILL');
    const first = await killed.done;
    expect(first.code).toBeNull(); // killed, not finished
    const left = await indexed();
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(TOTAL - 3000);

    // Mid-way the tenant's format record carries the upgrade's mark: a service refuses to start.
    await expect(openStore(prefix)).rejects.toThrow(/`workflow-store upgrade`; let it finish \(re-run it to resume\)/);

    // The default tenant goes first, so acme is untouched. A kill between a page's restores and the MULTI that
    // removes their v1 keys leaves workflows in both layouts: make 100 of acme's so, as that kill would.
    expect(await (writers[1] as V1Writer).indexed(raw)).toBe(8000);
    const bothLayouts = [...(expected[1] as Map<string, Expected>).values()].slice(0, 100).map((e) => e.workflow);
    const midway = await openStore(prefix, DEFAULT_SHARDS, { formatCheck: 'off' });
    for (const workflow of bothLayouts) expect(await midway.forTenant('acme').restore(workflow)).toBe('written');
    await midway.close();

    const rerun = await upgrade(prefix);
    process.stdout.write(`upgrade re-run after SIGKILL with ${left} of ${TOTAL} left (${(rerun.ms / 1000).toFixed(1)} s): ${rerun.stdout}`);
    expect(rerun.code).toBe(0);
    const { totals } = summaryOf(rerun.stdout);
    // Workflows copied but not yet removed when the kill came are found again, equal: skipped-same.
    expect(totals.moved + totals['skipped-same']).toBe(left);
    expect(totals).toMatchObject({ 'skipped-newer': 0, 'skipped-expired': 0, failed: 0 });
    expect(totals['skipped-same']).toBeGreaterThanOrEqual(100);
    expect(summaryOf(rerun.stdout).tenants.acme).toEqual(figures(8000 - 100, 0, 100));

    const store = await openStore(prefix);
    await expectMoved(store, prefix, 'default', DEFAULT_SHARDS, expected[0] as Map<string, Expected>);
    await expectMoved(store.forTenant('acme'), prefix, 'acme', DEFAULT_SHARDS, expected[1] as Map<string, Expected>);
    expect(await v1KeysLeft(raw, prefix)).toEqual([]);
  }, 90_000);
});

describe('dry run', () => {
  const prefix = randomPrefix();
  const writer = new V1Writer(prefix, 'acme');

  it('a tenant view refuses its v1 data at first use while the default tenant starts', async () => {
    await writeV1Tenant(writer, 200, 5);
    const store = await openStore(prefix);
    await expect(store.forTenant('acme').get('wf-1')).rejects.toThrow(/tenant "acme" .* storage format v1; run `workflow-store upgrade`/);
    await store.close();
  });

  it('reports what it would move and changes nothing; warns about a service still connected', async () => {
    await openStore(prefix); // a service left running; its boot recorded nothing (a format record is written before a first write)
    const before = await prefixDigest(prefix);
    const run = await upgrade(prefix, ['--dry-run', '--shards', '128']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('warning: 1 other connections named workflow-store are open on this Redis: stop the service');
    expect(run.stdout).toContain('dry run, nothing written');
    expect(summaryOf(run.stdout)).toEqual({ totals: figures(200), tenants: { acme: figures(200) } });
    expect(run.stdout).toMatch(/acme v1 → v2\/128: /);
    expect(await prefixDigest(prefix)).toEqual(before);
  });
});

describe('--to-prefix', () => {
  const source = randomPrefix();
  const target = randomPrefix();
  const writers = [new V1Writer(source, undefined), new V1Writer(source, 'acme')];

  it('copies into another prefix with the given shard count and leaves the source as it was', async () => {
    await writeV1Tenant(writers[0] as V1Writer, 100, 3);
    await writeV1Tenant(writers[1] as V1Writer, 50);
    const expected = await Promise.all(writers.map((writer) => writer.readAll(raw)));
    const before = await prefixDigest(source);
    const run = await upgrade(source, ['--to-prefix', target, '--shards', '32']);
    expect(run.code).toBe(0);
    expect(summaryOf(run.stdout)).toEqual({ totals: figures(150), tenants: { default: figures(100), acme: figures(50) } });
    expect(run.stdout).toContain('source left as it was');
    expect(await prefixDigest(source)).toEqual(before);
    const copy = await openStore(target, 32);
    await expectMoved(copy, target, 'default', 32, expected[0] as Map<string, Expected>);
    await expectMoved(copy.forTenant('acme'), target, 'acme', 32, expected[1] as Map<string, Expected>);
  });
});

describe('a workflow the target refuses', () => {
  const prefix = randomPrefix();
  const writer = new V1Writer(prefix, undefined);

  it('is reported and kept in v1, the run exits 1 and the tenant stays refused; a re-run that can move it finishes', async () => {
    const pipeline = raw.pipeline();
    for (let i = 0; i < 50; i++) writer.create(pipeline, `wf-${i}`, 'form', { i }, i < 5 ? 3600 : 300);
    await pipeline.exec();
    const expected = await writer.readAll(raw);

    // WORKFLOW_MAX_TTL below the TTL of 5 of them: their restore is refused.
    const strict = await upgrade(prefix, [], { WORKFLOW_MAX_TTL: '1000', WORKFLOW_STATE_TTL: '300' });
    expect(strict.code).toBe(1);
    expect(summaryOf(strict.stdout).totals).toEqual(figures(45, 0, 0, 5));
    expect(strict.stderr).toContain('tenant default, wf-0: ');
    expect(strict.stderr).toMatch(/WORKFLOW_MAX_TTL/);
    expect(strict.stderr).toMatch(/tenants default keep their failed workflows/);
    expect(await writer.indexed(raw)).toBe(5);
    await expect(openStore(prefix)).rejects.toBeInstanceOf(StorageFormatError);

    const rerun = await upgrade(prefix);
    expect(rerun.code).toBe(0);
    expect(summaryOf(rerun.stdout).totals).toEqual(figures(5));
    await expectMoved(await openStore(prefix), prefix, 'default', DEFAULT_SHARDS, expected);
    expect(await v1KeysLeft(raw, prefix)).toEqual([]);
  });
});

describe('re-shard v2 16 → 256', () => {
  const prefix = randomPrefix();
  const KEYED = 50;

  it('moves every tenant to 256 shards; the service refuses while the record says reshardTo, then only at 256', async () => {
    const before = await openStore(prefix, 16);
    const inputs = Array.from({ length: KEYED }, (_, i) => ({ id: `keyed-${i}`, type: 'form', state: { keyed: i } }));
    for (const [tenant, count] of [['default', 1500], ['acme', 1000]] as const) {
      const view = before.forTenant(tenant);
      const created = Array.from({ length: count }, (_, i) => view.create({ id: `wf-${i}`, type: i % 2 ? 'form' : 'invoice', state: { tenant, i } }));
      await Promise.all(created);
      await Promise.all(Array.from({ length: count / 3 }, (_, i) => view.update(`wf-${i * 3}`, { status: 'review', state: { updated: true } })));
    }
    await Promise.all(inputs.map((input) => before.create(input, { operationId: `op-${input.id}` })));
    const expected = new Map<string, Map<string, Workflow>>();
    for (const tenant of ['default', 'acme']) expected.set(tenant, await allWorkflows(before.forTenant(tenant)));
    await before.close(); // the service is stopped for the upgrade

    // What the upgrade writes first (as a run killed right after it would leave): every process refuses.
    const marked = { format: 2, shards: 16, since: new Date().toISOString(), reshardTo: 256 };
    await raw.hset(`${prefix}:format`, 'default', JSON.stringify(marked));
    await expect(openStore(prefix, 16)).rejects.toThrow(/being re-sharded from 16 to 256 shards by `workflow-store upgrade`/);
    await expect(openStore(prefix, 256)).rejects.toBeInstanceOf(StorageFormatError);

    const run = await upgrade(prefix, ['--shards', '256']);
    process.stdout.write(`upgrade re-shard 16 → 256 (${(run.ms / 1000).toFixed(1)} s): ${run.stdout}`);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    expect(summaryOf(run.stdout)).toEqual({ totals: figures(2500 + KEYED), tenants: { default: figures(1500 + KEYED), acme: figures(1000) } });
    expect(run.stdout).toMatch(/default v2\/16 → v2\/256/);
    expect(run.stdout).toContain(`${KEYED} idempotency keys carried`);

    const after = await openStore(prefix, 256);
    for (const tenant of ['default', 'acme']) {
      const found = await allWorkflows(after.forTenant(tenant));
      expect(found).toEqual(expected.get(tenant));
    }
    // The Idempotency-Key memory came along: a retried keyed create is answered as the original, not refused.
    const retried = await after.create(inputs[0] as (typeof inputs)[0], { operationId: 'op-keyed-0' });
    expect(replayOf(retried)?.outcome).toBe('created');

    await expect(openStore(prefix, 16)).rejects.toThrow(/REDIS_SHARDS=256.*REDIS_SHARDS=16/);
    const left: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      left.push(...keys.filter((key) => /^[^:]+:\{[^:]+:16:/.test(key)));
    } while (cursor !== '0');
    expect(left).toEqual([]);
    expect(await keysWithoutTtl(raw, prefix)).toEqual([]);
  }, 60_000);
});
