/**
 * The memory backend's snapshot: `close()` writes it, `connect()` loads it. Live workflows come back exactly
 * (ids, versions, timestamps, TTL, state), expired ones do not, and a damaged file stops the start instead of
 * giving an empty store.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createWorkflowStore, loadWorkflowStoreConfig, type JsonObject, type ValidatingWorkflowStore, type Workflow } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId } from '../support/random-ids.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const dirs: string[] = [];
const opened: ValidatingWorkflowStore[] = [];

afterAll(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => undefined);
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A snapshot path in a fresh temp dir; `inMissingDir` puts it in a sub-directory that does not exist yet. */
async function snapshotPath(inMissingDir = false): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wfs-snap-'));
  dirs.push(dir);
  return inMissingDir ? join(dir, 'nested', 'state.ndjson') : join(dir, 'state.ndjson');
}

function storeAt(path: string, logger = quietLogger()): ValidatingWorkflowStore {
  const store = createWorkflowStore(loadWorkflowStoreConfig({ MEMORY_SNAPSHOT_PATH: path }), logger);
  opened.push(store);
  return store;
}

const HEADER = JSON.stringify({ format: 'workflow-store', version: 1, kind: 'snapshot', count: 1, createdAt: '2026-01-01T00:00:00.000Z' });
const END = JSON.stringify({ format: 'workflow-store', end: true, count: 1 });

function validRecord(): Workflow {
  const now = Date.now();
  return {
    id: randomId('rec'),
    type: 'form',
    status: 'created',
    state: { a: 1 },
    version: 2,
    createdAt: new Date(now - 10_000).toISOString(),
    updatedAt: new Date(now - 5_000).toISOString(),
    expiresAt: new Date(now + 600_000).toISOString(),
    ttlSeconds: 900,
  };
}

describe('memory snapshot', () => {
  it('round-trips live workflows through close() and connect(), and leaves out the ones that expired', async () => {
    const path = await snapshotPath(true);
    const type = randomId('snap');
    const first = storeAt(path);
    await first.connect(); // no file yet: an empty store
    expect((await first.list({ type })).items).toEqual([]);

    const tricky = JSON.parse('{"__proto__": {"x": 1}, "float": 0.30000000000000004, "max": 9007199254740991, "empty": [], "text": "é漢🙂\\u2028"}') as JsonObject;
    const kept = await Promise.all([
      first.create({ type, state: { step: 2, list: [1, { a: null }] } }),
      first.create({ id: randomId('kept'), type, status: 'review', state: tricky, ttlSeconds: 500 }),
      first.create({ id: randomId('kept'), type, state: {} }),
    ]);
    await first.update(kept[0]?.id ?? '', { status: 'review', state: { step: 3 } });
    await first.save(kept[2]?.id ?? '', { state: { saved: true } });
    await first.touch(kept[2]?.id ?? '', { ttlSeconds: 700 });
    const deleted = await first.create({ type, state: {} });
    await first.delete(deleted.id);
    const shortLived = await first.create({ type, state: { short: true }, ttlSeconds: 1 });
    const before = await Promise.all(kept.map((w) => first.get(w.id)));
    expect(before.map((w) => w?.version)).toEqual([2, 1, 2]);
    await first.close();
    expect((await stat(path)).isFile()).toBe(true);

    // Load after the short-lived workflow expired (1 s TTL, 0.8 s slack).
    await sleep(Date.parse(shortLived.expiresAt) + 800 - Date.now());
    const second = storeAt(path);
    await second.connect();
    for (const workflow of before) {
      if (!workflow) throw new Error('a kept workflow was missing before close');
      expect(await second.get(workflow.id)).toEqual(workflow);
    }
    const restoredTricky = await second.get(kept[1]?.id ?? '');
    expect(JSON.stringify(restoredTricky?.state)).toBe(JSON.stringify(tricky));
    expect(await second.get(shortLived.id)).toBeNull();
    expect(await second.get(deleted.id)).toBeNull();
    const listed = await second.list({ type, limit: 100 });
    expect(listed.items.map((w) => w.id).sort()).toEqual(kept.map((w) => w.id).sort());

    // Versions and TTLs continue from the snapshot.
    const next = await second.update(kept[2]?.id ?? '', { state: { after: true } });
    expect(next).toMatchObject({ version: 3, ttlSeconds: 700, createdAt: before[2]?.createdAt });
    await second.close();

    // A third generation sees the write made by the second.
    const third = storeAt(path);
    await third.connect();
    expect(await third.get(kept[2]?.id ?? '')).toEqual(next);
    await third.close();
  }, 20_000);

  it('writes and loads a tenant larger than a spread may pass (130 000 workflows)', async () => {
    const path = await snapshotPath();
    const first = storeAt(path);
    await first.connect();
    const big = first.forTenant('big');
    const total = 130_000;
    for (let from = 0; from < total; from += 1000) {
      await Promise.all(Array.from({ length: 1000 }, (_, i) => big.create({ id: `w${from + i}`, type: 'bulk', state: {} })));
    }
    await first.create({ id: 'root-one', type: 'bulk', state: {} });
    await first.close();
    const second = storeAt(path);
    await second.connect();
    expect(await second.forTenant('big').count()).toBe(total);
    expect(await second.forTenant('big').get(`w${total - 1}`)).toMatchObject({ id: `w${total - 1}`, version: 1 });
    expect(await second.count()).toBe(1);
    await second.close();
  }, 60_000);

  it('refuses to start from a snapshot with a corrupt line, naming the file and the line', async () => {
    const path = await snapshotPath();
    const good = storeAt(path);
    await good.connect();
    await good.create({ type: 'form', state: {} });
    await good.close();
    await writeFile(path, `${HEADER}\n{not json\n`);
    const store = storeAt(path);
    const error = await store.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(/line 2/);
  });

  it('refuses a truncated snapshot, a record that is not a workflow, and a file that is not a snapshot', async () => {
    const record = JSON.stringify(validRecord());
    const cases: [string, RegExp][] = [
      [`${HEADER}\n${record}\n`, /truncated: no end line/],
      [`${HEADER}\n${record}\n${END.replace('"count":1', '"count":2')}\n`, /end line promises 2 workflows but the file holds 1/],
      [`${HEADER}\n${record}\n${END}\n${record}\n`, /line 4: data after the end line/],
      [`${HEADER}\n${JSON.stringify({ ...validRecord(), version: 0 })}\n`, /line 2/],
      [`${HEADER}\n${JSON.stringify({ ...validRecord(), id: 'a:b' })}\n`, /line 2/],
      ['hello\n', /not a workflow-store snapshot/],
      [`${HEADER.replace('"version":1', '"version":99')}\n${record}\n`, /version 99/],
    ];
    for (const [content, message] of cases) {
      const path = await snapshotPath();
      await writeFile(path, content);
      const store = storeAt(path);
      await expect(store.connect()).rejects.toThrow(message);
    }
  });

  it('does not overwrite a snapshot it could not load when the failed store is closed', async () => {
    const path = await snapshotPath();
    const seed = storeAt(path);
    await seed.connect();
    await seed.create({ type: 'form', state: { precious: true } });
    await seed.close();
    const damaged = `${(await readFile(path, 'utf8')).trimEnd()}\n{"half a line`;
    await writeFile(path, damaged);

    const store = storeAt(path);
    await expect(store.connect()).rejects.toThrow(/unusable|invalid JSON/);
    // A shutdown hook closes the store anyway: the damaged file must survive for an operator to repair.
    await store.close();
    expect(await readFile(path, 'utf8')).toBe(damaged);
  });

  it('loads a snapshot record with a valid restore shape exactly as written', async () => {
    const path = await snapshotPath();
    const record = validRecord();
    await writeFile(path, `${HEADER}\n${JSON.stringify(record)}\n${END}\n`);
    const store = storeAt(path);
    await store.connect();
    expect(await store.get(record.id)).toEqual(record);
    await store.close();
  });
});
