import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { endLine, headerLine, recordLine } from '../migration/ndjson-format.js';
import { openWorkflowFile } from '../migration/workflow-file-reader.js';
import type { Workflow } from '../workflow.types.js';

/** A stored workflow, its kept earlier versions (oldest first) and the tenant it belongs to (none: the store used without tenants). */
export interface SnapshotEntry {
  tenant?: string;
  workflow: Workflow;
  history?: Workflow[];
}

/** Reads a snapshot; a missing file is an empty store, anything unreadable or corrupt is an error (never silently empty). */
export async function readSnapshot(path: string): Promise<SnapshotEntry[]> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`cannot read memory snapshot ${path}: ${(error as Error).message}`);
  }
  const input = handle.createReadStream({ encoding: 'utf8' });
  try {
    const file = await openWorkflowFile(input, path);
    const records: SnapshotEntry[] = [];
    for await (const entry of file.entries) {
      // The store starts from this file: one bad line makes the whole snapshot suspect.
      if (entry.kind === 'invalid') throw new Error(`${path}: ${entry.reason}`);
      records.push({
        workflow: entry.workflow,
        ...(entry.tenant === undefined ? {} : { tenant: entry.tenant }),
        ...(entry.history === undefined ? {} : { history: entry.history }),
      });
    }
    return records;
  } catch (error) {
    throw new Error(`memory snapshot unusable: ${(error as Error).message}`);
  } finally {
    input.destroy();
  }
}

/**
 * Writes atomically (temp file + rename), so a crash mid-write leaves the previous snapshot intact. Streamed line by
 * line: one string of the whole file would stop at V8's string limit (about 512 MiB; 150 000 workflows with their
 * kept versions reach it) and the snapshot would not be written at all.
 */
export async function writeSnapshot(path: string, entries: readonly SnapshotEntry[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await pipeline(Readable.from(snapshotLines(entries), { objectMode: false }), handle.createWriteStream());
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** With history the snapshot is an NDJSON file of version 2 (each line carries its earlier versions). */
function* snapshotLines(entries: readonly SnapshotEntry[]): Generator<string> {
  yield `${headerLine('snapshot', entries.length, { history: true })}\n`;
  for (const entry of entries) yield `${recordLine(entry.workflow, entry.tenant, entry.history ?? [])}\n`;
  yield `${endLine(entries.length)}\n`;
}
