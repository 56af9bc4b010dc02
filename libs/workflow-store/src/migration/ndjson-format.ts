import { restoreRecordSchema } from '../shared/restore-record.schema.js';
import type { Workflow } from '../workflow.types.js';

/**
 * The one file format for snapshots, exports and imports: NDJSON, a header line then one workflow per line.
 * The header names the format and its version so a newer or foreign file is refused, not misread.
 */
export const NDJSON_FORMAT = 'workflow-store';
export const NDJSON_FORMAT_VERSION = 1;

export interface NdjsonHeader {
  format: typeof NDJSON_FORMAT;
  version: number;
  kind: 'snapshot' | 'export';
  count: number;
  createdAt: string;
}

export function headerLine(kind: NdjsonHeader['kind'], count: number): string {
  const header: NdjsonHeader = { format: NDJSON_FORMAT, version: NDJSON_FORMAT_VERSION, kind, count, createdAt: new Date().toISOString() };
  return JSON.stringify(header);
}

export function recordLine(workflow: Workflow): string {
  return JSON.stringify(workflow);
}

/** Parses and checks the header; the error says what the file is instead. */
export function parseHeader(line: string | undefined): NdjsonHeader {
  let value: Partial<NdjsonHeader> | undefined;
  try {
    value = line ? (JSON.parse(line) as Partial<NdjsonHeader>) : undefined;
  } catch {
    value = undefined;
  }
  if (!value || value.format !== NDJSON_FORMAT) {
    throw new Error('line 1: not a workflow-store snapshot or export (missing {"format":"workflow-store",...} header)');
  }
  if (value.version !== NDJSON_FORMAT_VERSION) {
    throw new Error(`line 1: format version ${String(value.version)} is not supported (this build reads version ${NDJSON_FORMAT_VERSION})`);
  }
  if (typeof value.count !== 'number' || (value.kind !== 'snapshot' && value.kind !== 'export')) {
    throw new Error('line 1: header lacks a numeric count or a kind of snapshot/export');
  }
  return value as NdjsonHeader;
}

/** Parses one record line; the error names the line and the field. */
export function parseRecordLine(line: string, lineNumber: number): Workflow {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new Error(`line ${lineNumber}: invalid JSON (${(error as Error).message})`);
  }
  const parsed = restoreRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`line ${lineNumber}: not a workflow record (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'})`);
  }
  return parsed.data as Workflow;
}
