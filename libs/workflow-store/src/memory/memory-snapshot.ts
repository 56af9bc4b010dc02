import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { headerLine, parseHeader, parseRecordLine, recordLine } from '../migration/ndjson-format.js';
import type { Workflow } from '../workflow.types.js';

/** Reads a snapshot; a missing file is an empty store, anything unreadable or corrupt is an error (never silently empty). */
export async function readSnapshot(path: string): Promise<Workflow[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`cannot read memory snapshot ${path}: ${(error as Error).message}`);
  }
  const lines = text.split('\n').filter((line) => line.length > 0);
  try {
    const header = parseHeader(lines[0]);
    const records = lines.slice(1).map((line, index) => parseRecordLine(line, index + 2));
    if (records.length !== header.count) {
      throw new Error(`header promises ${header.count} workflows but the file holds ${records.length} (truncated?)`);
    }
    return records;
  } catch (error) {
    throw new Error(`memory snapshot ${path} is unusable: ${(error as Error).message}`);
  }
}

/** Writes atomically (temp file + rename), so a crash mid-write leaves the previous snapshot intact. */
export async function writeSnapshot(path: string, workflows: Workflow[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  const body = [headerLine('snapshot', workflows.length), ...workflows.map(recordLine)].join('\n') + '\n';
  await writeFile(temp, body, { encoding: 'utf8', mode: 0o600 });
  await rename(temp, path);
}
