import type { JsonObject, Workflow } from '../workflow.types.js';
import { withState, type StoredWorkflowBytes, type StoredWorkflowJson, type WorkflowMeta } from '../workflow-json.js';
import type { StampedWorkflowJson, VersionStamp } from '../shared/storage-backend.js';
import { isoTime } from './iso-time.js';

const iso = (ms: string | number): string => isoTime(Number(ms));

/**
 * A stored record — the header `version|created|updated|expires|ttl|type|status`, a newline, then the state JSON
 * (see lua/includes/common.lua) — with its state left as the stored text; `null` when the key is absent.
 */
export function storedWorkflowFromRecord(id: string, record: string | null): StoredWorkflowJson | null {
  if (record === null) return null;
  const newline = record.indexOf('\n');
  return { workflow: metaFromHeader(id, record.slice(0, newline)).workflow, stateJson: record.slice(newline + 1) };
}

/** Like `storedWorkflowFromRecord`, with the version's stamp: the header's ms as they are, no ISO time parsed back. */
export function stampedWorkflowFromRecord(id: string, record: string | null): StampedWorkflowJson | null {
  if (record === null) return null;
  const newline = record.indexOf('\n');
  const { workflow, stamp } = metaFromHeader(id, record.slice(0, newline));
  return { workflow, stateJson: record.slice(newline + 1), stamp };
}

/** Like `storedWorkflowFromRecord`, from the record's bytes, with the state bytes not decoded. */
export function storedWorkflowFromRecordBytes(id: string, record: Buffer | null): StoredWorkflowBytes | null {
  if (record === null) return null;
  const newline = record.indexOf(NEWLINE);
  // The header is ASCII (digits, '|' and the label charset), so latin1 decodes it exactly and fastest.
  return { workflow: metaFromHeader(id, record.toString('latin1', 0, newline)).workflow, stateBytes: record.subarray(newline + 1) };
}

const NEWLINE = 0x0a;

/** The creation time (ms) in a record's header, the second field. */
export function createdMsOfRecord(record: string): number {
  const first = record.indexOf('|');
  return Number(record.slice(first + 1, record.indexOf('|', first + 1)));
}

/**
 * The header's fields by position, numbers read digit by digit: no array and no substring per number (split was
 * most of a 1 KB read's own parsing time). A header this does not fit goes through `split`.
 */
function metaFromHeader(id: string, header: string): { workflow: WorkflowMeta; stamp: VersionStamp } {
  const a = header.indexOf('|');
  const b = header.indexOf('|', a + 1);
  const c = header.indexOf('|', b + 1);
  const d = header.indexOf('|', c + 1);
  const e = header.indexOf('|', d + 1);
  const f = header.indexOf('|', e + 1);
  if (a < 0 || b < 0 || c < 0 || d < 0 || e < 0 || f < 0 || header.indexOf('|', f + 1) >= 0) return metaBySplit(id, header);
  const version = digits(header, 0, a);
  const createdMs = digits(header, a + 1, b);
  const updatedMs = digits(header, b + 1, c);
  const expiresMs = digits(header, c + 1, d);
  const ttl = digits(header, d + 1, e);
  if (Number.isNaN(version + createdMs + updatedMs + expiresMs + ttl)) return metaBySplit(id, header);
  const workflow = {
    id,
    type: header.slice(e + 1, f),
    status: header.slice(f + 1),
    version,
    createdAt: isoTime(createdMs),
    updatedAt: isoTime(updatedMs),
    expiresAt: isoTime(expiresMs),
    ttlSeconds: ttl,
  };
  return { workflow, stamp: { createdMs, updatedMs } };
}

/** The decimal digits of text[from, to) as a number; NaN when another character is there (the caller falls back). */
function digits(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i) - 48;
    if (code < 0 || code > 9) return NaN;
    n = n * 10 + code;
  }
  return n;
}

function metaBySplit(id: string, header: string): { workflow: WorkflowMeta; stamp: VersionStamp } {
  const [version, created, updated, expires, ttl, type, status] = header.split('|');
  const createdMs = Number(created ?? 0);
  const updatedMs = Number(updated ?? 0);
  const workflow = {
    id,
    type: type ?? '',
    status: status ?? '',
    version: Number(version),
    createdAt: isoTime(createdMs),
    updatedAt: isoTime(updatedMs),
    expiresAt: iso(expires ?? 0),
    ttlSeconds: Number(ttl),
  };
  return { workflow, stamp: { createdMs, updatedMs } };
}

/** A stored record as a workflow with its state parsed; `null` when the key is absent (missing or expired). */
export function workflowFromRecord(id: string, record: string | null): Workflow | null {
  const stored = storedWorkflowFromRecord(id, record);
  return stored && withState(stored.workflow, JSON.parse(stored.stateJson) as JsonObject);
}

/** The stamp of the version a create/save reply names (its created and updated ms). */
export function stampOfWriteReply(reply: unknown[]): VersionStamp {
  return { createdMs: Number(reply[2]), updatedMs: Number(reply[3]) };
}

/** The `{1, version, created, updated, expires, type, status, ttl}` reply of create/save, without the state. */
export function workflowFromWriteReply(id: string, reply: unknown[]): WorkflowMeta {
  return {
    id,
    type: String(reply[5]),
    status: String(reply[6]),
    version: Number(reply[1]),
    createdAt: iso(reply[2] as number),
    updatedAt: iso(reply[3] as number),
    expiresAt: iso(reply[4] as number),
    ttlSeconds: Number(reply[7]),
  };
}

/** A workflow as a stored record: the header, a newline, the state JSON (the inverse of `storedWorkflowFromRecord`). */
export function recordOf(workflow: Workflow, stateJson: string): string {
  const { version, createdAt, updatedAt, expiresAt, ttlSeconds, type, status } = workflow;
  return `${version}|${Date.parse(createdAt)}|${Date.parse(updatedAt)}|${Date.parse(expiresAt)}|${ttlSeconds}|${type}|${status}\n${stateJson}`;
}
