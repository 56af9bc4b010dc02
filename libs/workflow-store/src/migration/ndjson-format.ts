import { restoreRecordSchema } from '../shared/restore-record.schema.js';
import { tenantSchema } from '../workflow.schema.js';
import type { Workflow } from '../workflow.types.js';
import { parseHistory } from './ndjson-history.js';

/**
 * The one file format for snapshots, exports and imports: NDJSON, a header line, one workflow per line, and an
 * end line. The header names the format and its version so a newer or foreign file is refused, not misread; its
 * `count` is the number of workflows when the file was started (exact for snapshots; for an export of a live store
 * workflows may be written or expire during the walk). The end line carries the exact number of workflow lines:
 * a file without it was cut short.
 *
 * Version 1: a line is a workflow record. Version 2 (an export with history, header `"history": true`): a line may
 * also carry `"history"`, the workflow's kept earlier versions, oldest first, each a whole record. Files without
 * history are still written as version 1, so builds that read only version 1 keep reading them; a version 2 file
 * is refused there with a clear message instead of every line failing on the unknown member.
 */
export const NDJSON_FORMAT = 'workflow-store';
/** The format version of files without history. */
export const NDJSON_FORMAT_VERSION_PLAIN = 1;
/** The newest format version this build reads (and writes, for files with history). */
export const NDJSON_FORMAT_VERSION = 2;

export interface NdjsonHeader {
  format: typeof NDJSON_FORMAT;
  version: number;
  kind: 'snapshot' | 'export';
  count: number;
  createdAt: string;
  /** Version 2: the lines carry each workflow's earlier versions. */
  history?: boolean;
}

/**
 * A line after the header: a workflow (with its tenant when the line names one, and its earlier versions when the
 * line carries them), or the end line with the number of workflow lines before it.
 */
export type NdjsonBodyLine = { kind: 'record'; workflow: Workflow; tenant?: string; history?: Workflow[] } | { kind: 'end'; count: number };

export interface HeaderOptions {
  /** The lines carry history: written as version 2. */
  history?: boolean;
}

export function headerLine(kind: NdjsonHeader['kind'], count: number, options: HeaderOptions = {}): string {
  const createdAt = new Date().toISOString();
  const header: NdjsonHeader = options.history
    ? { format: NDJSON_FORMAT, version: NDJSON_FORMAT_VERSION, kind, count, createdAt, history: true }
    : { format: NDJSON_FORMAT, version: NDJSON_FORMAT_VERSION_PLAIN, kind, count, createdAt };
  return JSON.stringify(header);
}

/**
 * A workflow as `GET /workflows/:id` returns it, preceded by `"tenant"` when it belongs to one, and followed by
 * `"history"` (earlier versions, oldest first) when given: only in a file whose header says version 2.
 */
export function recordLine(workflow: Workflow, tenant?: string, history?: readonly Workflow[]): string {
  if (history === undefined) return JSON.stringify(tenant === undefined ? workflow : { tenant, ...workflow });
  return JSON.stringify(tenant === undefined ? { ...workflow, history } : { tenant, ...workflow, history });
}

export function endLine(count: number): string {
  return JSON.stringify({ format: NDJSON_FORMAT, end: true, count });
}

/** Parses and checks the header; the error says what the file is instead. */
export function parseHeader(line: string | undefined): NdjsonHeader {
  let value: Partial<NdjsonHeader> | undefined;
  try {
    value = line ? (JSON.parse(line) as Partial<NdjsonHeader>) : undefined;
  } catch {
    value = undefined;
  }
  if (!value || typeof value !== 'object' || value.format !== NDJSON_FORMAT) {
    throw new Error('line 1: not a workflow-store snapshot or export (missing {"format":"workflow-store",...} header)');
  }
  if (value.version !== NDJSON_FORMAT_VERSION_PLAIN && value.version !== NDJSON_FORMAT_VERSION) {
    throw new Error(
      `line 1: format version ${String(value.version)} is not supported (this build reads versions ${NDJSON_FORMAT_VERSION_PLAIN}-${NDJSON_FORMAT_VERSION})`,
    );
  }
  if (typeof value.count !== 'number' || (value.kind !== 'snapshot' && value.kind !== 'export')) {
    throw new Error('line 1: header lacks a numeric count or a kind of snapshot/export');
  }
  return value as NdjsonHeader;
}

/** What the header allows on the lines after it. */
export interface BodyLineOptions {
  /** Lines may carry `history` (format version 2); otherwise it is an unknown member, as version 1 always said. */
  history: boolean;
}

/** Whether the lines after this header may carry history. */
export function bodyLineOptionsOf(header: NdjsonHeader): BodyLineOptions {
  return { history: header.version >= NDJSON_FORMAT_VERSION };
}

/** Parses one line after the header; the error names the line and the field. */
export function parseBodyLine(line: string, lineNumber: number, options: BodyLineOptions = { history: false }): NdjsonBodyLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new Error(`line ${lineNumber}: invalid JSON (${(error as Error).message})`);
  }
  if (isEndLine(value)) return { kind: 'end', count: value.count };
  let tenant: string | undefined;
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, 'tenant')) {
    const { tenant: tag, ...rest } = value as { tenant: unknown };
    const checked = tenantSchema.safeParse(tag);
    if (!checked.success) throw new Error(`line ${lineNumber}: not a workflow record (tenant: ${checked.error.issues[0]?.message ?? 'invalid'})`);
    tenant = checked.data;
    value = rest;
  }
  let history: unknown;
  if (options.history && typeof value === 'object' && value !== null && Object.hasOwn(value, 'history')) {
    const { history: kept, ...rest } = value as { history: unknown };
    history = kept;
    value = rest;
  }
  const parsed = restoreRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`line ${lineNumber}: not a workflow record (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'})`);
  }
  const workflow = parsed.data as Workflow;
  const record: Extract<NdjsonBodyLine, { kind: 'record' }> = { kind: 'record', workflow };
  if (tenant !== undefined) record.tenant = tenant;
  if (history !== undefined) {
    try {
      record.history = parseHistory(history, workflow);
    } catch (error) {
      throw new Error(`line ${lineNumber}: ${(error as Error).message}`);
    }
  }
  return record;
}

function isEndLine(value: unknown): value is { count: number } {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { format?: unknown; end?: unknown; count?: unknown };
  return candidate.format === NDJSON_FORMAT && candidate.end === true && Number.isSafeInteger(candidate.count);
}
