import { restoreRecordSchema } from '../shared/restore-record.schema.js';
import { tenantSchema } from '../workflow.schema.js';
import type { Workflow } from '../workflow.types.js';

/**
 * The one file format for snapshots, exports and imports: NDJSON, a header line, one workflow per line, and an
 * end line. The header names the format and its version so a newer or foreign file is refused, not misread; its
 * `count` is the number of workflows when the file was started (exact for snapshots; for an export of a live store
 * workflows may be written or expire during the walk). The end line carries the exact number of workflow lines:
 * a file without it was cut short.
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

/**
 * A line after the header: a workflow (with its tenant when the line names one), or the end line with the number
 * of workflow lines before it.
 */
export type NdjsonBodyLine = { kind: 'record'; workflow: Workflow; tenant?: string } | { kind: 'end'; count: number };

export function headerLine(kind: NdjsonHeader['kind'], count: number): string {
  const header: NdjsonHeader = { format: NDJSON_FORMAT, version: NDJSON_FORMAT_VERSION, kind, count, createdAt: new Date().toISOString() };
  return JSON.stringify(header);
}

/** A workflow as `GET /workflows/:id` returns it, preceded by `"tenant"` when it belongs to one. */
export function recordLine(workflow: Workflow, tenant?: string): string {
  return JSON.stringify(tenant === undefined ? workflow : { tenant, ...workflow });
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
  if (value.version !== NDJSON_FORMAT_VERSION) {
    throw new Error(`line 1: format version ${String(value.version)} is not supported (this build reads version ${NDJSON_FORMAT_VERSION})`);
  }
  if (typeof value.count !== 'number' || (value.kind !== 'snapshot' && value.kind !== 'export')) {
    throw new Error('line 1: header lacks a numeric count or a kind of snapshot/export');
  }
  return value as NdjsonHeader;
}

/** Parses one line after the header; the error names the line and the field. */
export function parseBodyLine(line: string, lineNumber: number): NdjsonBodyLine {
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
  const parsed = restoreRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`line ${lineNumber}: not a workflow record (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'})`);
  }
  return tenant === undefined ? { kind: 'record', workflow: parsed.data as Workflow } : { kind: 'record', workflow: parsed.data as Workflow, tenant };
}

function isEndLine(value: unknown): value is { count: number } {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { format?: unknown; end?: unknown; count?: unknown };
  return candidate.format === NDJSON_FORMAT && candidate.end === true && Number.isSafeInteger(candidate.count);
}
