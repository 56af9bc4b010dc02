#!/usr/bin/env node
// Measures the CLI on this machine (not a test): migrate throughput for 10 000 workflows of ~2 KB, and the peak RSS
// of `export` for 10 000 and 100 000 workflows. Starts its own redis-server on a free port; needs `npm run build`.
// Usage: node scripts/measure-cli.mjs [bigCount=100000]
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

const BIG = Number(process.argv[2] ?? 100_000);
const CLI = join(process.cwd(), 'dist/apps/cli/src/main.js');

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

async function writeFile(path, count) {
  const out = createWriteStream(path);
  const now = Date.now();
  const write = async (line) => {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  await write(JSON.stringify({ format: 'workflow-store', version: 1, kind: 'snapshot', count, createdAt: new Date().toISOString() }));
  for (let i = 0; i < count; i++) {
    const state = { step: i % 7, pages: Array.from({ length: 8 }, (_, p) => ({ page: p + 1, words: (i * 31 + p) % 997 })), text: `document ${i} `.repeat(90).slice(0, 1500) };
    await write(JSON.stringify({ id: `m-${i}`, type: 'form', status: 'created', state, version: 1 + (i % 5), createdAt: new Date(now - 60_000).toISOString(), updatedAt: new Date(now - 1000).toISOString(), expiresAt: new Date(now + 3_600_000).toISOString(), ttlSeconds: 3600 }));
  }
  await write(JSON.stringify({ format: 'workflow-store', end: true, count }));
  out.end();
  await once(out, 'finish');
}

function cli(args, env, nodeArgs = []) {
  const run = spawnSync(process.execPath, [...nodeArgs, CLI, ...args], { env: { PATH: process.env.PATH, REDIS_PERSISTENCE_CHECK: 'off', ...env }, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (run.status !== 0) throw new Error(`${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return run.stdout.trim();
}

const figure = (line, pattern) => Number(line.match(pattern)?.[1]);

const dir = await mkdtemp(join(tmpdir(), 'wfs-measure-'));
const port = await freePort();
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
try {
  await new Promise((r) => setTimeout(r, 300));
  const url = `redis://127.0.0.1:${port}`;
  const rows = [];
  for (const count of [10_000, BIG]) {
    const file = join(dir, `${count}.ndjson`);
    await writeFile(file, count);
    const migrate = cli(['migrate', '--from', file, '--to', url], { REDIS_KEY_PREFIX: `p${count}` });
    const exportLine = cli(['export', '--out', join(dir, `${count}.export.ndjson`), '--redis-url', url], { REDIS_KEY_PREFIX: `p${count}` });
    rows.push({
      workflows: count,
      'migrate /s': figure(migrate, /(\d+) per second/),
      'migrate peak MiB': figure(migrate, /peak memory (\d+) MiB/),
      'export /s': figure(exportLine, /(\d+) per second/),
      'export peak MiB': figure(exportLine, /peak memory (\d+) MiB/),
      // The same export with the V8 heap capped: it only completes if memory does not grow with the store.
      'export peak MiB, heap ≤ 64 MiB': figure(
        cli(['export', '--out', join(dir, `${count}.capped.ndjson`), '--redis-url', url], { REDIS_KEY_PREFIX: `p${count}` }, ['--max-old-space-size=64']),
        /peak memory (\d+) MiB/,
      ),
    });
  }
  console.table(rows);
} finally {
  redis.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
}
