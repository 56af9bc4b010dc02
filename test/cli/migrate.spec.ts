/**
 * `workflow-store migrate`, run as the built CLI against a real redis-server: from a snapshot file and from a
 * running memory-backed API; idempotent re-runs; newer versions in the target kept; expired workflows left out;
 * remaining TTLs kept.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { ValidatingWorkflowStore, Workflow } from '#workflow-store';
import { layoutOf } from '../support/redis-layout.js';
import { ApiProcess } from '../support/api-process.js';
import { afterFirstConnect, CONNECT_TIMER, runCli, startCli } from '../support/cli-process.js';
import { CLOSED_PORT } from '../support/free-port.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { allWorkflows, makeRecords, openRedisStore, summaryFigures, writeWorkflowFile } from './workflow-files.js';

const COUNT = 10_000;
const EXPIRED = 25;

let server: RedisServer;
let raw: Redis;
let dir: string;
let snapshot: string;
let records: { live: Workflow[]; expired: Workflow[] };
const stores: ValidatingWorkflowStore[] = [];

beforeAll(async () => {
  server = await RedisServer.start();
  raw = new Redis(server.url);
  dir = await mkdtemp(join(tmpdir(), 'wfs-cli-'));
  snapshot = join(dir, 'snapshot.ndjson');
  records = makeRecords(COUNT, EXPIRED);
  // Expired records sit in the middle of the file, as they would in an old snapshot.
  await writeWorkflowFile(snapshot, [...records.live.slice(0, 5000), ...records.expired, ...records.live.slice(5000)]);
});

afterAll(async () => {
  for (const store of stores) await store.close();
  raw?.disconnect();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function storeFor(prefix: string): Promise<ValidatingWorkflowStore> {
  return openRedisStore(server.url, prefix, stores);
}

function migrate(from: string, prefix: string, ...extra: string[]): ReturnType<typeof runCli> {
  return runCli(['migrate', '--from', from, '--to', server.url, ...extra], { REDIS_KEY_PREFIX: prefix }, { timeoutMs: 120_000 });
}

/** Every live record is in the target, equal field by field, and its key's real TTL matches its expiresAt. */
async function expectAllCopied(prefix: string): Promise<void> {
  const target = await allWorkflows(await storeFor(prefix));
  expect(target.size).toBe(COUNT);
  for (const record of records.live) expect(target.get(record.id)).toEqual(record);
  for (const record of records.expired) expect(target.has(record.id)).toBe(false);
  const keys = layoutOf(prefix);
  const sample = records.live.filter((_, i) => i % 97 === 0);
  const pttls = await Promise.all(sample.map((r) => raw.pttl(keys.record(r.id))));
  const now = Date.now();
  sample.forEach((record, i) => {
    const expected = Date.parse(record.expiresAt) - now;
    expect(Math.abs((pttls[i] as number) - expected)).toBeLessThan(1000);
  });
}

describe('migrate from a snapshot file', () => {
  const prefix = randomPrefix();

  it(`copies ${COUNT} workflows (~2 KB each) keeping versions, timestamps and remaining TTLs, and skips the expired`, async () => {
    const run = await migrate(snapshot, prefix);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    expect(summaryFigures(run.stdout)).toEqual({ copied: COUNT, 'skipped-same': 0, 'skipped-newer': 0, 'skipped-expired': EXPIRED, failed: 0 });
    await expectAllCopied(prefix);
    process.stdout.write(`migrate from file: ${run.stdout.trim()}\n`);
  }, 120_000);

  it('copies nothing on a second run, and says so', async () => {
    const run = await migrate(snapshot, prefix);
    expect(run.code).toBe(0);
    expect(summaryFigures(run.stdout)).toEqual({ copied: 0, 'skipped-same': COUNT, 'skipped-newer': 0, 'skipped-expired': EXPIRED, failed: 0 });
    await expectAllCopied(prefix);
  }, 120_000);

  it('never overwrites a version that is newer in the target, and replaces an older one', async () => {
    const own = randomPrefix();
    const target = await storeFor(own);
    const newer = records.live.slice(0, 20).map((r) => ({ ...r, version: r.version + 10, state: { newerInTarget: true } }));
    const older = records.live.slice(20, 30).filter((r) => r.version > 1).map((r) => ({ ...r, version: r.version - 1, state: { olderInTarget: true } }));
    for (const record of [...newer, ...older]) expect(await target.restore(record)).toBe('written');

    const run = await migrate(snapshot, own);
    expect(run.code).toBe(0);
    expect(summaryFigures(run.stdout)).toEqual({
      copied: COUNT - newer.length,
      'skipped-same': 0,
      'skipped-newer': newer.length,
      'skipped-expired': EXPIRED,
      failed: 0,
    });
    for (const record of newer) expect(await target.get(record.id)).toEqual(record);
    for (const record of older) expect((await target.get(record.id))?.state).toEqual(records.live.find((r) => r.id === record.id)?.state);
  }, 120_000);

  it('resumes after being killed with SIGKILL mid-way: the re-run copies the rest and exits 0', async () => {
    const own = randomPrefix();
    const target = await storeFor(own);
    const killed = startCli(['migrate', '--from', snapshot, '--to', server.url], { REDIS_KEY_PREFIX: own });
    try {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && killed.child.exitCode === null && (await target.count()) < 1000) await new Promise((r) => setTimeout(r, 10));
    } finally {
      killed.child.kill('SIGKILL'); // also when count() failed: the CLI must not run on after the test
    }
    const first = await killed.done;
    expect(first.code).toBeNull(); // it was killed, not finished
    const copiedBefore = await target.count();
    expect(copiedBefore).toBeGreaterThanOrEqual(1000);
    expect(copiedBefore).toBeLessThan(COUNT);

    const rerun = await migrate(snapshot, own);
    expect(rerun.code).toBe(0);
    const figures = summaryFigures(rerun.stdout);
    expect(figures).toMatchObject({ 'skipped-newer': 0, 'skipped-expired': EXPIRED, failed: 0 });
    expect((figures.copied ?? 0) + (figures['skipped-same'] ?? 0)).toBe(COUNT);
    expect(figures['skipped-same']).toBe(copiedBefore);
    await expectAllCopied(own);
  }, 120_000);

  it('--dry-run reports what it would copy and writes nothing', async () => {
    const own = randomPrefix();
    const run = await migrate(snapshot, own, '--dry-run');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('dry run, nothing written');
    expect(summaryFigures(run.stdout)).toEqual({ copied: COUNT, 'skipped-same': 0, 'skipped-newer': 0, 'skipped-expired': EXPIRED, failed: 0 });
    expect(await raw.keys(`${own}:*`)).toEqual([]);
    expect(await (await storeFor(own)).count()).toBe(0);
  }, 120_000);
});

describe('migrate from a running memory-backed API', () => {
  let api: ApiProcess;
  let closedApi: ApiProcess;

  beforeAll(async () => {
    // The API starts from the same snapshot, as a memory deployment restarted with MEMORY_SNAPSHOT_PATH would.
    api = await ApiProcess.start({ MEMORY_SNAPSHOT_PATH: snapshot, ADMIN_ROUTES: 'true' });
    closedApi = await ApiProcess.start({});
  }, 60_000);

  afterAll(async () => {
    await api?.stop('SIGKILL'); // SIGKILL: the shared snapshot file must stay as it is
    await closedApi?.stop();
  });

  it(`copies the ${COUNT} workflows it serves, plus one written over HTTP just before`, async () => {
    const created = await fetch(`${api.url}/workflows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'written-over-http', type: 'form', state: { fresh: true } }),
    });
    expect(created.status).toBe(201);
    const prefix = randomPrefix();
    const run = await migrate(api.url, prefix);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    expect(summaryFigures(run.stdout)).toEqual({ copied: COUNT + 1, 'skipped-same': 0, 'skipped-newer': 0, 'skipped-expired': 0, failed: 0 });
    const target = await allWorkflows(await storeFor(prefix));
    for (const record of records.live) expect(target.get(record.id)).toEqual(record);
    expect(target.get('written-over-http')?.state).toEqual({ fresh: true });
    process.stdout.write(`migrate from API: ${run.stdout.trim()}\n`);

    const again = await migrate(`${api.url}/admin/export`, prefix);
    expect(again.code).toBe(0);
    expect(summaryFigures(again.stdout)).toMatchObject({ copied: 0, 'skipped-same': COUNT + 1, failed: 0 });
  }, 120_000);

  it('says why when the API does not serve the export, and copies nothing', async () => {
    const prefix = randomPrefix();
    const run = await migrate(closedApi.url, prefix);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/403.*ADMIN_ROUTES=true/)]);
    expect(await raw.keys(`${prefix}:*`)).toEqual([]);
  });
});

describe('migrate refuses clearly, in one line, when it cannot start', () => {
  it('unreachable Redis: exit 2 with ECONNREFUSED, within the connect timeout + 1 s, nothing read', async () => {
    const port = CLOSED_PORT;
    const run = await runCli(['migrate', '--from', snapshot, '--to', `redis://127.0.0.1:${port}`], { REDIS_CONNECT_TIMEOUT_MS: '1000' }, { nodeArgs: CONNECT_TIMER });
    expect(run.code).toBe(2);
    const { ms, stderr } = afterFirstConnect(run);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/ECONNREFUSED/)]);
    // Timed from the first connection attempt: Node's start-up on a loaded machine (3.7 s from spawn once in CI) is
    // not what the bound is about.
    expect(ms).toBeLessThan(1000 + 1000);
  });

  it('an API whose Redis is down: GET /admin/export answers a 503 problem before any data, migrate exits 2 saying so', async () => {
    const apiRedis = await RedisServer.start();
    const api = await ApiProcess.start({ USE_REDIS: 'true', REDIS_URL: apiRedis.url, ADMIN_ROUTES: 'true', REDIS_PERSISTENCE_CHECK: 'off' });
    try {
      await apiRedis.kill9();
      const response = await fetch(`${api.url}/admin/export`);
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const prefix = randomPrefix();
      const run = await migrate(api.url, prefix);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/answered 503: /)]);
      expect(await raw.keys(`${prefix}:*`)).toEqual([]);
    } finally {
      await api.stop();
      await apiRedis.stop();
    }
  }, 60_000);

  it('a missing file, a file that is not an export, a newer format version: exit 2, one line naming the cause', async () => {
    const notExport = join(dir, 'hello.txt');
    const newer = join(dir, 'v3.ndjson');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(notExport, 'hello\n');
    await writeFile(newer, `${JSON.stringify({ format: 'workflow-store', version: 3, kind: 'export', count: 0, createdAt: new Date().toISOString() })}\n`);
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.ndjson'), /cannot read .*missing\.ndjson: ENOENT/],
      [dir, /cannot read.*EISDIR/],
      [notExport, /not a workflow-store snapshot or export/],
      [newer, /format version 3 is not supported/],
    ];
    const prefix = randomPrefix();
    for (const [file, message] of cases) {
      const run = await migrate(file, prefix);
      expect({ file, code: run.code }).toEqual({ file, code: 2 });
      expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
    }
    expect(await raw.keys(`${prefix}:*`)).toEqual([]);
  });
});
