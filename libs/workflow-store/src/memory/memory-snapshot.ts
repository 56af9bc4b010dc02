import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { endLine, headerLine, recordLine } from '../migration/ndjson-format.js';
import { openWorkflowFile } from '../migration/workflow-file-reader.js';
import type { Workflow } from '../workflow.types.js';

/** A stored workflow and the tenant it belongs to (none: the store used without tenants). */
export interface SnapshotEntry {
  tenant?: string;
  workflow: Workflow;
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
      records.push(entry.tenant === undefined ? { workflow: entry.workflow } : { tenant: entry.tenant, workflow: entry.workflow });
    }
    return records;
  } catch (error) {
    throw new Error(`memory snapshot unusable: ${(error as Error).message}`);
  } finally {
    input.destroy();
  }
}

/** Writes atomically (temp file + rename), so a crash mid-write leaves the previous snapshot intact. */
export async function writeSnapshot(path: string, entries: SnapshotEntry[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  const lines = entries.map((entry) => recordLine(entry.workflow, entry.tenant));
  const body = [headerLine('snapshot', entries.length), ...lines, endLine(entries.length)].join('\n') + '\n';
  await writeFile(temp, body, { encoding: 'utf8', mode: 0o600 });
  await rename(temp, path);
}
