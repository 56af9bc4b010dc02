/**
 * `workflow-store export` / `import`, run as the built CLI: a round trip between two real redis-servers (through
 * a file and through stdout/stdin), the memory backend's snapshot as source and target, corrupt and truncated
 * files reported line by line, and an export that cannot complete never leaving a file behind.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ValidatingWorkflowStore, Workflow } from '#workflow-store';
import { runCli } from '../support/cli-process.js';
import { CLOSED_PORT } from '../support/free-port.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { allWorkflows, makeRecords, openRedisStore, summaryFigures } from './workflow-files.js';

const COUNT = 2000;

let source: RedisServer;
let target: RedisServer;
let dir: string;
let exported: string;
let sourceWorkflows: Map<string, Workflow>;
const sourcePrefix = randomPrefix();
const stores: ValidatingWorkflowStore[] = [];

function storeAt(server: RedisServer, prefix: string): Promise<ValidatingWorkflowStore> {
  return openRedisStore(server.url, prefix, stores);
}

function importInto(server: RedisServer, prefix: string, file: string, stdin?: string): ReturnType<typeof runCli> {
  return runCli(['import', '--in', file, '--redis-url', server.url], { REDIS_KEY_PREFIX: prefix }, { stdin });
}

beforeAll(async () => {
  [source, target] = await Promise.all([RedisServer.start(), RedisServer.start()]);
  dir = await mkdtemp(join(tmpdir(), 'wfs-cli-'));
  exported = join(dir, 'backup.ndjson');
  const store = await storeAt(source, sourcePrefix);
  const { live } = makeRecords(COUNT, 0, 'exp');
  // 500 at a time: all at once, the last ones waited behind the rest longer than the 1 s command timeout.
  for (let from = 0; from < live.length; from += 500) await Promise.all(live.slice(from, from + 500).map((record) => store.restore(record)));
  // A few written through the normal API, with awkward JSON, so the round trip covers what writes produce.
  await store.create({ id: 'tricky', type: 'form', state: JSON.parse('{"__proto__":{"x":1},"float":0.30000000000000004,"empty":[],"nested":{"a":[{}]}}') as Workflow['state'] });
  await store.update('tricky', { status: 'review', state: { added: 'é漢🙂\u2028' } });
  sourceWorkflows = await allWorkflows(store);
  expect(sourceWorkflows.size).toBe(COUNT + 1);
});

afterAll(async () => {
  for (const store of stores) await store.close();
  await Promise.all([source?.stop(), target?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('export → import between two Redis instances', () => {
  it('round-trips every workflow equal, field by field', async () => {
    const run = await runCli(['export', '--out', exported, '--redis-url', source.url], { REDIS_KEY_PREFIX: sourcePrefix });
    expect(run.stderr).not.toMatch(/error|warning/i);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`export: ${COUNT + 1} workflows of tenant default from redis://127\\.0\\.0\\.1:\\d+ written to ${exported}`));
    const lines = (await readFile(exported, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(COUNT + 3);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ format: 'workflow-store', version: 1, kind: 'export', count: COUNT + 1 });
    expect(JSON.parse(lines.at(-1) as string)).toEqual({ format: 'workflow-store', end: true, count: COUNT + 1 });
    expect((await stat(exported)).mode & 0o777).toBe(0o600);

    const prefix = randomPrefix();
    const imported = await importInto(target, prefix, exported);
    expect(imported.stderr).not.toMatch(/error|warning/i);
    expect(imported.code).toBe(0);
    expect(summaryFigures(imported.stdout)).toEqual({ copied: COUNT + 1, 'skipped-same': 0, 'skipped-newer': 0, 'skipped-expired': 0, failed: 0 });
    expect(await allWorkflows(await storeAt(target, prefix))).toEqual(sourceWorkflows);

    const again = await importInto(target, prefix, exported);
    expect(again.code).toBe(0);
    expect(summaryFigures(again.stdout)).toMatchObject({ copied: 0, 'skipped-same': COUNT + 1 });
  }, 60_000);

  it('streams through stdout and stdin (--out - / --in -), keeping messages off stdout', async () => {
    const run = await runCli(['export', '--out', '-', '--redis-url', source.url], { REDIS_KEY_PREFIX: sourcePrefix });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/export: 2001 workflows/);
    const prefix = randomPrefix();
    const imported = await importInto(target, prefix, '-', run.stdout);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/from stdin/);
    expect(await allWorkflows(await storeAt(target, prefix))).toEqual(sourceWorkflows);
  }, 60_000);

  it('works with the memory backend too: import into a snapshot file, export from it', async () => {
    const snapshot = join(dir, 'memory.ndjson');
    const imported = await runCli(['import', '--in', exported], { MEMORY_SNAPSHOT_PATH: snapshot });
    expect(imported.code).toBe(0);
    expect(summaryFigures(imported.stdout)).toMatchObject({ copied: COUNT + 1, failed: 0 });
    const again = join(dir, 'from-memory.ndjson');
    const run = await runCli(['export', '--out', again], { MEMORY_SNAPSHOT_PATH: snapshot });
    expect(run.code).toBe(0);
    const records = (await readFile(again, 'utf8')).trimEnd().split('\n').slice(1, -1).map((line) => JSON.parse(line) as Workflow);
    expect(new Map(records.map((r) => [r.id, r]))).toEqual(sourceWorkflows);

    const noSnapshot = await runCli(['import', '--in', exported], {});
    expect(noSnapshot.code).toBe(2);
    expect(noSnapshot.stderr).toMatch(/MEMORY_SNAPSHOT_PATH/);
  }, 60_000);
});

describe('damaged files', () => {
  it('reports each corrupt line with its number, imports every other line, and exits 1', async () => {
    const lines = (await readFile(exported, 'utf8')).trimEnd().split('\n');
    const bad = [...lines];
    bad[4] = (bad[4] as string).slice(0, 40); // line 5: cut mid-record
    bad[8] = JSON.stringify({ ...(JSON.parse(bad[8] as string) as Workflow), id: 'a:b*' }); // line 9: an id no key may carry
    bad[11] = JSON.stringify({ ...(JSON.parse(bad[11] as string) as Workflow), version: 0 }); // line 12
    const file = join(dir, 'corrupt.ndjson');
    await writeFile(file, `${bad.join('\n')}\n`);
    const prefix = randomPrefix();
    const run = await importInto(target, prefix, file);
    expect(run.code).toBe(1);
    const errors = run.stderr.trim().split('\n');
    expect(errors).toEqual([
      expect.stringMatching(/corrupt\.ndjson: line 5: invalid JSON/),
      expect.stringMatching(/corrupt\.ndjson: line 9: not a workflow record \(id:/),
      expect.stringMatching(/corrupt\.ndjson: line 12: not a workflow record \(version:/),
    ]);
    expect(summaryFigures(run.stdout)).toEqual({ copied: COUNT + 1 - 3, 'skipped-same': 0, 'skipped-newer': 0, 'skipped-expired': 0, failed: 3 });
    const imported = await allWorkflows(await storeAt(target, prefix));
    expect(imported.size).toBe(COUNT + 1 - 3);
    for (const [id, workflow] of imported) expect(workflow).toEqual(sourceWorkflows.get(id));
  }, 60_000);

  it('reports a truncated file (no end line), imports what is there, and exits 1', async () => {
    const text = await readFile(exported, 'utf8');
    const cut = text.slice(0, Math.floor(text.length * 0.6)); // ends mid-line, without the end line
    const file = join(dir, 'truncated.ndjson');
    await writeFile(file, cut);
    const whole = cut.split('\n').length - 2; // header, and the partial last line
    const prefix = randomPrefix();
    const run = await importInto(target, prefix, file);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/line \d+: invalid JSON/);
    expect(run.stderr).toMatch(/truncated: no end line after line \d+/);
    expect(summaryFigures(run.stdout)).toMatchObject({ copied: whole, failed: 1 });
  }, 60_000);
});

describe('export that cannot complete', () => {
  it('unreachable Redis: exit 2, one line with the cause, no file', async () => {
    const out = join(dir, 'never.ndjson');
    const run = await runCli(['export', '--out', out, '--redis-url', `redis://127.0.0.1:${CLOSED_PORT}`], {});
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/ECONNREFUSED/)]);
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
  });

  it('unwritable destination: exit 2 naming it', async () => {
    const out = join(dir, 'missing-dir', 'x.ndjson');
    const run = await runCli(['export', '--out', out, '--redis-url', source.url], { REDIS_KEY_PREFIX: sourcePrefix });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/cannot write .*missing-dir.*ENOENT/)]);
  });

  it('Redis lost mid-way: exit 1, the previous file is left as it was, no temp file', async () => {
    const out = join(dir, 'kept.ndjson');
    await writeFile(out, 'previous backup\n');
    const server = await RedisServer.start();
    try {
      const prefix = randomPrefix();
      const store = await storeAt(server, prefix);
      const { live } = makeRecords(20_000, 0, 'big');
      for (let i = 0; i < live.length; i += 500) await Promise.all(live.slice(i, i + 500).map((r) => store.restore(r)));
      const running = runCli(['export', '--out', out, '--redis-url', server.url], { REDIS_KEY_PREFIX: prefix });
      // Kill Redis as soon as the export has started writing.
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const files = await import('node:fs/promises').then((fs) => fs.readdir(dir));
        const temp = files.find((f) => f.startsWith('kept.ndjson.') && f.endsWith('.tmp'));
        if (temp && (await stat(join(dir, temp)).catch(() => undefined))?.size) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      await server.kill9();
      const run = await running;
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/export from redis:\/\/127\.0\.0\.1:\d+ failed after \d+ workflows: .*kept\.ndjson was not written/);
      expect(await readFile(out, 'utf8')).toBe('previous backup\n');
      const leftovers = (await import('node:fs/promises').then((fs) => fs.readdir(dir))).filter((f) => f.endsWith('.tmp'));
      expect(leftovers).toEqual([]);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
