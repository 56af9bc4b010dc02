import type { JsonObject, Workflow } from '../workflow.types.js';
import { withState, type StoredWorkflowBytes, type StoredWorkflowJson, type WorkflowMeta } from '../workflow-json.js';
import { isoTime } from './iso-time.js';

const iso = (ms: string | number): string => isoTime(Number(ms));

/**
 * A stored record — the header `version|created|updated|expires|ttl|type|status`, a newline, then the state JSON
 * (see lua/includes/common.lua) — with its state left as the stored text; `null` when the key is absent.
 */
export function storedWorkflowFromRecord(id: string, record: string | null): StoredWorkflowJson | null {
  if (record === null) return null;
  const newline = record.indexOf('\n');
  return { workflow: metaFromHeader(id, record.slice(0, newline)), stateJson: record.slice(newline + 1) };
}

/** Like `storedWorkflowFromRecord`, from the record's bytes, with the state bytes not decoded. */
export function storedWorkflowFromRecordBytes(id: string, record: Buffer | null): StoredWorkflowBytes | null {
  if (record === null) return null;
  const newline = record.indexOf(NEWLINE);
  // The header is ASCII (digits, '|' and the label charset), so latin1 decodes it exactly and fastest.
  return { workflow: metaFromHeader(id, record.toString('latin1', 0, newline)), stateBytes: record.subarray(newline + 1) };
}

const NEWLINE = 0x0a;

/** The creation time (ms) in a record's header, the second field. */
export function createdMsOfRecord(record: string): number {
  const first = record.indexOf('|');
  return Number(record.slice(first + 1, record.indexOf('|', first + 1)));
}

function metaFromHeader(id: string, header: string): WorkflowMeta {
  const [version, created, updated, expires, ttl, type, status] = header.split('|');
  return {
    id,
    type: type ?? '',
    status: status ?? '',
    version: Number(version),
    createdAt: iso(created ?? 0),
    updatedAt: iso(updated ?? 0),
    expiresAt: iso(expires ?? 0),
    ttlSeconds: Number(ttl),
  };
}

/** A stored record as a workflow with its state parsed; `null` when the key is absent (missing or expired). */
export function workflowFromRecord(id: string, record: string | null): Workflow | null {
  const stored = storedWorkflowFromRecord(id, record);
  return stored && withState(stored.workflow, JSON.parse(stored.stateJson) as JsonObject);
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
