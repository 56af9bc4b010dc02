import type { JsonObject, Workflow } from '../workflow.types.js';
import type { StoredWorkflowJson, WorkflowMeta } from '../workflow-json.js';

const iso = (ms: string | number): string => new Date(Number(ms)).toISOString();

/** A record hash (HGETALL) back to a workflow; `null` when the key is absent (missing or expired). */
export function workflowFromHash(id: string, hash: Record<string, string>): Workflow | null {
  if (hash.v === undefined || hash.d === undefined) return null;
  return {
    id,
    type: hash.t ?? '',
    status: hash.s ?? '',
    state: JSON.parse(hash.d) as JsonObject,
    version: Number(hash.v),
    createdAt: iso(hash.c ?? 0),
    updatedAt: iso(hash.u ?? 0),
    expiresAt: iso(hash.e ?? 0),
    ttlSeconds: Number(hash.l),
  };
}

/** Like `workflowFromHash`, with the state left as the stored JSON text. */
export function storedWorkflowFromHash(id: string, hash: Record<string, string>): StoredWorkflowJson | null {
  if (hash.v === undefined || hash.d === undefined) return null;
  return {
    workflow: {
      id,
      type: hash.t ?? '',
      status: hash.s ?? '',
      version: Number(hash.v),
      createdAt: iso(hash.c ?? 0),
      updatedAt: iso(hash.u ?? 0),
      expiresAt: iso(hash.e ?? 0),
      ttlSeconds: Number(hash.l),
    },
    stateJson: hash.d,
  };
}

/**
 * The record fields every read asks for, in this order. Reads use HMGET of these rather than HGETALL: a flat
 * array reply decodes faster than a map (about 10 % more 1 KB reads per second on one connection).
 */
export const RECORD_FIELDS = ['v', 't', 's', 'd', 'c', 'u', 'e', 'l'] as const;

/** An HMGET of RECORD_FIELDS as a hash; an absent record (all nil) gives `{}`. */
export function hashFromFields(values: (string | null)[]): Record<string, string> {
  const hash: Record<string, string> = {};
  RECORD_FIELDS.forEach((field, i) => {
    const value = values[i];
    if (value !== null && value !== undefined) hash[field] = value;
  });
  return hash;
}

/** A flat `[field, value, ...]` reply (from a script's HGETALL) as an object. */
export function hashFromPairs(pairs: unknown[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) hash[String(pairs[i])] = String(pairs[i + 1]);
  return hash;
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
