import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { InvalidFileError } from '../errors/invalid-file.error.js';
import type { Workflow } from '../workflow.types.js';
import { bodyLineOptionsOf, parseBodyLine, parseHeader, type BodyLineOptions, type NdjsonHeader } from './ndjson-format.js';

/**
 * One workflow line of a file: the parsed record (with its earlier versions when the line carries them, oldest
 * first, already checked to be earlier versions of it), or why that line could not be used.
 */
export type FileEntry =
  | { kind: 'record'; line: number; workflow: Workflow; tenant?: string; history?: Workflow[] }
  | { kind: 'invalid'; line: number; reason: string };

export interface WorkflowFile {
  header: NdjsonHeader;
  /**
   * The workflow lines, streamed (memory stays flat whatever the file size). A bad line is yielded as `invalid`
   * and reading goes on. Throws `InvalidFileError` once the lines run out if the file was cut short (no end line),
   * holds lines after its end line, or its end line disagrees with the number of workflow lines.
   */
  entries: AsyncGenerator<FileEntry, void, undefined>;
}

/**
 * Opens a snapshot or export for streaming. `source` names the file (or URL) in every message.
 * @throws InvalidFileError when the stream fails or the first line is not a header this build reads.
 */
export async function openWorkflowFile(input: Readable, source: string): Promise<WorkflowFile> {
  const lines = createInterface({ input, crlfDelay: Infinity })[Symbol.asyncIterator]();
  let first: IteratorResult<string>;
  try {
    first = await lines.next();
  } catch (error) {
    throw new InvalidFileError(`${source}: cannot read: ${(error as Error).message}`, { cause: error });
  }
  if (first.done) throw new InvalidFileError(`${source}: the file is empty (no header line)`);
  let header: NdjsonHeader;
  try {
    header = parseHeader(first.value);
  } catch (error) {
    input.destroy();
    throw new InvalidFileError(`${source}: ${(error as Error).message}`);
  }
  return { header, entries: readEntries(lines, source, bodyLineOptionsOf(header)) };
}

async function* readEntries(lines: AsyncIterator<string>, source: string, options: BodyLineOptions): AsyncGenerator<FileEntry, void, undefined> {
  let lineNumber = 1;
  let workflowLines = 0;
  let endCount: number | undefined;
  for (;;) {
    let next: IteratorResult<string>;
    try {
      next = await lines.next();
    } catch (error) {
      throw new InvalidFileError(`${source}: reading stopped after line ${lineNumber}: ${(error as Error).message}`, { cause: error });
    }
    if (next.done) break;
    lineNumber += 1;
    if (next.value.trim() === '') continue;
    if (endCount !== undefined) {
      throw new InvalidFileError(`${source}: line ${lineNumber}: data after the end line`);
    }
    let parsed: ReturnType<typeof parseBodyLine>;
    try {
      parsed = parseBodyLine(next.value, lineNumber, options);
    } catch (error) {
      workflowLines += 1;
      yield { kind: 'invalid', line: lineNumber, reason: (error as Error).message };
      continue;
    }
    if (parsed.kind === 'end') {
      endCount = parsed.count;
      continue;
    }
    workflowLines += 1;
    yield { ...parsed, line: lineNumber };
  }
  if (endCount === undefined) {
    throw new InvalidFileError(`${source}: truncated: no end line after line ${lineNumber} (${workflowLines} workflow lines read)`);
  }
  if (endCount !== workflowLines) {
    throw new InvalidFileError(`${source}: the end line promises ${endCount} workflows but the file holds ${workflowLines} (lines lost?)`);
  }
}
