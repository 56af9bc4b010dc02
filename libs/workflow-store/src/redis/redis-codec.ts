import type { JsonObject, Workflow } from '../workflow.types.js';
import { withState, type StoredWorkflowJson, type WorkflowMeta } from '../workflow-json.js';
import { isoTime } from './iso-time.js';

const iso = (ms: string | number): string => isoTime(Number(ms));

/**
 * A stored record — the header `version|created|updated|expires|ttl|type|status`, a newline, then the state JSON
 * (see lua/includes/common.lua) — with its state left as the stored text; `null` when the key is absent.
 */
export function storedWorkflowFromRecord(id: string, record: string | null): StoredWorkflowJson | null {
  if (record === null) return null;
  const newline = record.indexOf('\n');
  const [version, created, updated, expires, ttl, type, status] = record.slice(0, newline).split('|');
  return {
    workflow: {
      id,
      type: type ?? '',
      status: status ?? '',
      version: Number(version),
      createdAt: iso(created ?? 0),
      updatedAt: iso(updated ?? 0),
      expiresAt: iso(expires ?? 0),
      ttlSeconds: Number(ttl),
    },
    stateJson: record.slice(newline + 1),
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
