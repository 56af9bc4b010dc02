import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Workflow } from '../workflow.types.js';
import { writeSnapshot } from './memory-snapshot.js';

/** V8's longest string (2^29 - 24 characters): a snapshot built as one string could not pass it. */
const MAX_STRING_LENGTH = 2 ** 29 - 24;

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('writeSnapshot', () => {
  it('writes a snapshot longer than the longest string V8 can hold', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wfs-snap-big-'));
    dirs.push(dir);
    const path = join(dir, 'state.ndjson');
    const text = 'x'.repeat(1_050_000); // one string, shared by every state: little memory
    const now = new Date().toISOString();
    const count = 520;
    const entries = Array.from({ length: count }, (_, i) => ({
      tenant: 'big',
      workflow: { id: `w${i}`, type: 't', status: 's', state: { text }, version: 1, createdAt: now, updatedAt: now, expiresAt: now, ttlSeconds: 60 } satisfies Workflow,
    }));
    await writeSnapshot(path, entries);
    const { size } = await stat(path);
    expect(size).toBeGreaterThan(MAX_STRING_LENGTH);
    const handle = await open(path, 'r');
    try {
      const tail = Buffer.alloc(200);
      await handle.read(tail, 0, tail.length, size - tail.length);
      const lines = tail.toString('utf8').split('\n');
      expect(lines.at(-1)).toBe('');
      expect(JSON.parse(lines.at(-2) as string)).toEqual({ format: 'workflow-store', end: true, count });
    } finally {
      await handle.close();
    }
  }, 60_000);
});
