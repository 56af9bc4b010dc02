/**
 * `workflow-store export --with-history` / `import` / `migrate`, run as the built CLI against a real redis-server:
 * each workflow's kept earlier versions travel on its line and come back as its history (history() and getVersion()
 * answer as in the source), a target keeping fewer versions keeps the newest, an export without the flag carries
 * none, a bad history entry fails its line and writes nothing of it, and the memory backend works as target.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkflowStore, loadWorkflowStoreConfig, type ValidatingWorkflowStore, type Workflow, type WorkflowHistory, type WorkflowStore } from '#workflow-store';
import { runCli } from '../support/cli-process.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { summaryFigures } from './workflow-files.js';

const WORKFLOWS = 48;
/** The source keeps the default 10 earlier versions; workflows get 1-16 versions, so some have lost their oldest. */
const SOURCE_KEEPS = 10;
const writesOf = (index: number): number => 1 + (index % 16);
const ids = Array.from({ length: WORKFLOWS }, (_, i) => `hist-${i}`);
/** Earlier versions the source keeps in all: what an export with history carries. */
const EARLIER = ids.reduce((sum, _, i) => sum + Math.min(writesOf(i) - 1, SOURCE_KEEPS), 0);

type Line = Workflow & { tenant?: string; history?: Workflow[] };

let server: RedisServer;
let dir: string;
let withHistory: string;
let source: ValidatingWorkflowStore;
const sourcePrefix = randomPrefix();
const stores: ValidatingWorkflowStore[] = [];

async function openStore(env: Record<string, string>): Promise<ValidatingWorkflowStore> {
  const store = createWorkflowStore(loadWorkflowStoreConfig({ REDIS_PERSISTENCE_CHECK: 'off', ...env }), quietLogger());
  await store.connect();
  stores.push(store);
  return store;
}

function redisStore(prefix: string, keeps = SOURCE_KEEPS): Promise<ValidatingWorkflowStore> {
  return openStore({ USE_REDIS: 'true', REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix, WORKFLOW_HISTORY_VERSIONS: String(keeps) });
}

function importInto(prefix: string, file: string, env: Record<string, string> = {}, ...extra: string[]): ReturnType<typeof runCli> {
  return runCli(['import', '--in', file, '--redis-url', server.url, ...extra], { REDIS_KEY_PREFIX: prefix, ...env });
}

/** Versions 1..writes, each with its own type, status and state (save replaces the state: nothing carries over). */
async function writeVersions(store: WorkflowStore, id: string, writes: number): Promise<void> {
  await store.create({ id, type: 'invoice', state: { step: 1, text: 'é漢🙂' } });
  for (let v = 2; v <= writes; v += 1) {
    await store.save(id, { type: v % 4 === 0 ? 'form' : 'invoice', status: ['created', 'review', 'approved'][v % 3] as string, state: { step: v, pages: [v, v * 2] } });
  }
}

/** What a store holds of a workflow's past: its history, and every kept version whole (newest first). */
async function keptOf(store: WorkflowStore, id: string): Promise<{ history: WorkflowHistory | null; versions: (Workflow | null)[] }> {
  const history = await store.history(id);
  const versions = await Promise.all((history?.versions ?? []).map((summary) => store.getVersion(id, summary.version)));
  return { history, versions };
}

async function readExport(path: string): Promise<{ header: Record<string, unknown>; lines: Line[] }> {
  const text = (await readFile(path, 'utf8')).trimEnd().split('\n');
  return { header: JSON.parse(text[0] as string) as Record<string, unknown>, lines: text.slice(1, -1).map((line) => JSON.parse(line) as Line) };
}

beforeAll(async () => {
  server = await RedisServer.start();
  dir = await mkdtemp(join(tmpdir(), 'wfs-cli-history-'));
  withHistory = join(dir, 'with-history.ndjson');
  source = await redisStore(sourcePrefix);
  await Promise.all(ids.map((id, i) => writeVersions(source, id, writesOf(i))));
  const run = await runCli(['export', '--with-history', '--out', withHistory, '--redis-url', server.url], { REDIS_KEY_PREFIX: sourcePrefix });
  expect(run.stderr).not.toMatch(/error|warning/i);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(new RegExp(`^export: ${WORKFLOWS} workflows with ${EARLIER} earlier versions of tenant default from redis://`));
}, 60_000);

afterAll(async () => {
  for (const store of stores) await store.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('export --with-history → import', () => {
  it('writes format version 2, each line with the kept earlier versions, oldest first, whole', async () => {
    const { header, lines } = await readExport(withHistory);
    expect(header).toMatchObject({ format: 'workflow-store', version: 2, kind: 'export', count: WORKFLOWS, history: true });
    expect(lines).toHaveLength(WORKFLOWS);
    for (const { history, ...workflow } of lines) {
      const writes = writesOf(ids.indexOf(workflow.id));
      expect(workflow).toEqual(await source.get(workflow.id));
      const expected = Array.from({ length: writes - 1 }, (_, k) => k + 1).slice(-SOURCE_KEEPS);
      expect(history?.map((earlier) => earlier.version)).toEqual(expected);
      for (const earlier of history ?? []) expect(earlier).toEqual(await source.getVersion(workflow.id, earlier.version));
    }
  });

  it('restores the history: history() and getVersion() in the target answer as in the source; a re-run copies nothing', async () => {
    const prefix = randomPrefix();
    const run = await importInto(prefix, withHistory);
    expect(run.stderr).not.toMatch(/error|warning/i);
    expect(run.code).toBe(0);
    expect(summaryFigures(run.stdout)).toEqual({ copied: WORKFLOWS, 'skipped-same': 0, 'skipped-newer': 0, 'skipped-expired': 0, failed: 0 });
    const target = await redisStore(prefix);
    for (const id of ids) expect(await keptOf(target, id)).toEqual(await keptOf(source, id));

    const again = await importInto(prefix, withHistory);
    expect(again.code).toBe(0);
    expect(summaryFigures(again.stdout)).toMatchObject({ copied: 0, 'skipped-same': WORKFLOWS, failed: 0 });
    for (const id of ids) expect(await keptOf(target, id)).toEqual(await keptOf(source, id));
  }, 60_000);

  it('a target keeping fewer versions (WORKFLOW_HISTORY_VERSIONS=3) keeps the newest three', async () => {
    const prefix = randomPrefix();
    const run = await importInto(prefix, withHistory, { WORKFLOW_HISTORY_VERSIONS: '3' });
    expect(run.code).toBe(0);
    expect(summaryFigures(run.stdout)).toMatchObject({ copied: WORKFLOWS, failed: 0 });
    const target = await redisStore(prefix, 3);
    for (const id of ids) {
      const kept = await keptOf(source, id);
      const current = kept.history?.currentVersion as number;
      const newest = kept.history?.versions.slice(0, 4) ?? [];
      expect(await keptOf(target, id)).toEqual({
        history: { id, currentVersion: current, oldestVersion: newest.at(-1)?.version, versions: newest },
        versions: kept.versions.slice(0, 4),
      });
      if (current > 4) await expect(target.getVersion(id, current - 4)).rejects.toMatchObject({ code: 'version-not-kept' });
    }
  }, 60_000);

  it('migrate carries the history too (the same reader and restore as import)', async () => {
    const prefix = randomPrefix();
    const run = await runCli(['migrate', '--from', withHistory, '--to', server.url], { REDIS_KEY_PREFIX: prefix });
    expect(run.code).toBe(0);
    expect(summaryFigures(run.stdout)).toMatchObject({ copied: WORKFLOWS, failed: 0 });
    const target = await redisStore(prefix);
    for (const id of ids) expect(await keptOf(target, id)).toEqual(await keptOf(source, id));
  }, 60_000);

  it('a tenant export with history names the tenant on each line, and the history goes back under that tenant', async () => {
    const acme = source.forTenant('acme');
    const tenantIds = ['acme-a', 'acme-b', 'acme-c'];
    await Promise.all(tenantIds.map((id, i) => writeVersions(acme, id, 3 + i * 5)));
    const file = join(dir, 'acme.ndjson');
    const run = await runCli(['export', '--with-history', '--tenant', 'acme', '--out', file, '--redis-url', server.url], { REDIS_KEY_PREFIX: sourcePrefix });
    expect(run.code).toBe(0);
    expect((await readExport(file)).lines.map((line) => [line.tenant, line.history?.length])).toEqual(
      expect.arrayContaining([['acme', 2], ['acme', 7], ['acme', 10]]),
    );
    const prefix = randomPrefix();
    const imported = await importInto(prefix, file);
    expect(summaryFigures(imported.stdout)).toMatchObject({ copied: 3, failed: 0 });
    const target = (await redisStore(prefix)).forTenant('acme');
    for (const id of tenantIds) expect(await keptOf(target, id)).toEqual(await keptOf(acme, id));
  }, 60_000);

  it('the memory backend as target imports a file with history', async () => {
    const snapshot = join(dir, 'memory-current.ndjson');
    const imported = await runCli(['import', '--in', withHistory], { MEMORY_SNAPSHOT_PATH: snapshot });
    expect(imported.stderr).not.toMatch(/error|warning/i);
    expect(imported.code).toBe(0);
    expect(summaryFigures(imported.stdout)).toMatchObject({ copied: WORKFLOWS, failed: 0 });
    const memory = await openStore({ MEMORY_SNAPSHOT_PATH: snapshot });
    for (const id of ids) expect(await memory.get(id)).toEqual(await source.get(id));
  }, 60_000);

  it('the memory backend as target keeps the history in its snapshot, and exports it again', async () => {
    const snapshot = join(dir, 'memory.ndjson');
    const imported = await runCli(['import', '--in', withHistory], { MEMORY_SNAPSHOT_PATH: snapshot });
    expect(imported.code).toBe(0);

    const memory = await openStore({ MEMORY_SNAPSHOT_PATH: snapshot });
    for (const id of ids) expect(await keptOf(memory, id)).toEqual(await keptOf(source, id));

    const again = join(dir, 'from-memory.ndjson');
    const run = await runCli(['export', '--with-history', '--out', again], { MEMORY_SNAPSHOT_PATH: snapshot });
    expect(run.code).toBe(0);
    const byId = (lines: Line[]): Map<string, Line> => new Map(lines.map((line) => [line.id, line]));
    expect(byId((await readExport(again)).lines)).toEqual(byId((await readExport(withHistory)).lines));
  }, 60_000);
});

describe('export without --with-history', () => {
  it('carries no history (format version 1, as before) and imports as before: only the current versions', async () => {
    const plain = join(dir, 'plain.ndjson');
    const run = await runCli(['export', '--out', plain, '--redis-url', server.url], { REDIS_KEY_PREFIX: sourcePrefix });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^export: ${WORKFLOWS} workflows of tenant default`));
    const { header, lines } = await readExport(plain);
    expect(header).toEqual({ format: 'workflow-store', version: 1, kind: 'export', count: WORKFLOWS, createdAt: expect.any(String) });
    for (const line of lines) expect(line).not.toHaveProperty('history');

    const prefix = randomPrefix();
    const imported = await importInto(prefix, plain);
    expect(imported.code).toBe(0);
    expect(summaryFigures(imported.stdout)).toMatchObject({ copied: WORKFLOWS, failed: 0 });
    const target = await redisStore(prefix);
    for (const id of ids) {
      const current = (await source.get(id)) as Workflow;
      const { history, versions } = await keptOf(target, id);
      expect(history).toMatchObject({ currentVersion: current.version, oldestVersion: current.version });
      expect(versions).toEqual([current]);
    }
  }, 60_000);
});

describe('a bad history entry', () => {
  it('fails its line with a message naming the entry, writes nothing of that line, and imports the rest', async () => {
    const text = (await readFile(withHistory, 'utf8')).trimEnd().split('\n');
    // Lines (file line numbers, 1-based) of workflows with at least three earlier versions.
    const rich = text.map((line, index) => ({ index, line })).filter(({ index, line }) => index > 0 && index < text.length - 1 && ((JSON.parse(line) as Line).history?.length ?? 0) >= 3);
    const damage: [number, (line: Line) => void][] = [
      [rich[0]!.index, (line) => void ((line.history as Workflow[])[1]!.id = 'someone-else')],
      [rich[1]!.index, (line) => void ((line.history as Workflow[])[2]!.version = line.version)],
      [rich[2]!.index, (line) => void (((line.history as Workflow[])[0] as unknown as { state: unknown }).state = 'not an object')],
      [rich[3]!.index, (line) => void ((line.history as Workflow[])[1]!.version = (line.history as Workflow[])[0]!.version)],
    ];
    const bad = [...text];
    const damaged: Line[] = [];
    for (const [index, change] of damage) {
      const line = JSON.parse(bad[index] as string) as Line;
      change(line);
      damaged.push(line);
      bad[index] = JSON.stringify(line);
    }
    const file = join(dir, 'bad-history.ndjson');
    await writeFile(file, `${bad.join('\n')}\n`);
    const lineNo = (k: number): number => damage[k]![0] + 1;
    const expectedErrors = [
      `bad-history.ndjson: line ${lineNo(0)}: history[1] is not an earlier version of ${damaged[0]!.id}: it is a version of someone-else`,
      `bad-history.ndjson: line ${lineNo(1)}: history[2] is not an earlier version of ${damaged[1]!.id}: its version ${damaged[1]!.version} is not below the line's version ${damaged[1]!.version}`,
      expect.stringContaining(`bad-history.ndjson: line ${lineNo(2)}: history[0] is not a workflow record (state: `),
      `bad-history.ndjson: line ${lineNo(3)}: history[1]: versions must be distinct and oldest first (version ${damaged[3]!.history![0]!.version} follows ${damaged[3]!.history![0]!.version})`,
    ];

    const prefix = randomPrefix();
    // The target already holds an earlier version of one of them: a failed line must leave it (and its history) untouched.
    const target = await redisStore(prefix);
    const seeded = damaged[0]!.history![0]!;
    expect(await target.restore(seeded)).toBe('written');
    const before = await keptOf(target, seeded.id);

    const dry = await importInto(prefix, file, {}, '--dry-run');
    expect(dry.code).toBe(1);
    expect(dry.stderr.trim().split('\n').map((l) => l.replace(/^.*\//, ''))).toEqual(expectedErrors);

    const run = await importInto(prefix, file);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n').map((l) => l.replace(/^.*\//, ''))).toEqual(expectedErrors);
    expect(summaryFigures(run.stdout)).toEqual({ copied: WORKFLOWS - 4, 'skipped-same': 0, 'skipped-newer': 0, 'skipped-expired': 0, failed: 4 });
    expect(await keptOf(target, seeded.id)).toEqual(before);
    for (const line of damaged.slice(1)) expect(await target.history(line.id)).toBeNull();
    const failedIds = new Set(damaged.map((line) => line.id));
    for (const id of ids.filter((id) => !failedIds.has(id))) expect(await keptOf(target, id)).toEqual(await keptOf(source, id));
  }, 60_000);
});
