/**
 * The service's JSON, as the client sees it. Defined here rather than imported from libs/workflow-store: the client
 * must run in a browser or a bare Node process without the server's code (ioredis, Nest). The conformance spec
 * (test/client) checks these against the running service.
 */

/** Any JSON value, as a workflow's state holds it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object: the shape of every workflow's `state`. */
export type JsonObject = { [key: string]: JsonValue };

/** A stored workflow. Times are ISO-8601 UTC strings; the response's ETag is `"<version>"`. */
export interface Workflow<S extends JsonObject = JsonObject> {
  id: string;
  type: string;
  status: string;
  state: S;
  /** Starts at 1, grows by exactly 1 on every write (touch does not count). */
  version: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  /** The sliding TTL every write restarts, in seconds. */
  ttlSeconds: number;
}

/** Body of `POST /workflows`. Omit `id` to get one generated (derived from the Idempotency-Key, so a retry finds it). */
export interface CreateInput<S extends JsonObject = JsonObject> {
  id?: string;
  type: string;
  /** Defaults to `created`. */
  status?: string;
  state: S;
  ttlSeconds?: number;
}

/** Body of `PUT /workflows/:id`: omitted `type`/`status` keep the stored ones (or the defaults for a new workflow). */
export interface ReplaceInput<S extends JsonObject = JsonObject> {
  type?: string;
  status?: string;
  state: S;
  ttlSeconds?: number;
}

/** A JSON Merge Patch (RFC 7396): `null` inside `state` deletes that member, objects merge, arrays replace. */
export interface WorkflowPatch {
  type?: string;
  status?: string;
  state?: { [key: string]: JsonValue };
}

/** Query of `GET /workflows`. `stalled` cannot be combined with `type`/`status` (400). */
export interface ListFilter {
  type?: string;
  status?: string;
  stalled?: true;
  /** 1–1000, 100 by default. */
  limit?: number;
  /** The `nextCursor` of the previous page, with the same filter. */
  cursor?: string;
}

export interface ListPage<S extends JsonObject = JsonObject> {
  items: Workflow<S>[];
  /** `null` on the last page. */
  nextCursor: string | null;
}

/** One kept version, without its state. */
export interface WorkflowVersionSummary {
  version: number;
  type: string;
  status: string;
  updatedAt: string;
}

/** `GET /workflows/:id/versions`: newest first, the current version included. */
export interface WorkflowHistory {
  id: string;
  currentVersion: number;
  oldestVersion: number;
  versions: WorkflowVersionSummary[];
}

/** A workflow's lease. `token` must be sent as `Lease-Token` on every write while the lease lives. */
export interface Lease {
  id: string;
  token: number;
  owner: string;
  expiresAt: string;
}

export interface AcquireLeaseInput {
  /** 1–128 of `A-Z a-z 0-9 _ . : @ / -`. */
  owner: string;
  /** 100 – LEASE_MAX_TTL_MS. */
  ttlMs: number;
}

export type WorkflowEventOp =
  | 'created'
  | 'updated'
  | 'deleted'
  | 'touched'
  | 'restored'
  | 'expired'
  | 'lease-acquired'
  | 'lease-released'
  | 'lease-expired';

/** One change-feed entry (the `data:` of an SSE `workflow` frame, whose `id:` is `eventId`). */
export interface WorkflowEvent {
  /** `<ms>-<seq>-<shard>`: the resume point (`Last-Event-ID`). */
  eventId: string;
  id: string;
  op: WorkflowEventOp;
  /** The version the write left (for `deleted`/`expired`: the last one). */
  version: number;
  type: string;
  status: string;
  at: string;
  tenant: string;
  /** Lease events only. */
  lease?: { token: number; owner: string };
}

/** Why the feed could not resume where asked (or the reader fell behind): reload the state you follow. */
export type WatchResetReason = 'trimmed' | 'unknown' | 'overflow' | 'gap';

export type WatchMessage = { kind: 'event'; event: WorkflowEvent } | { kind: 'reset'; reason: WatchResetReason };

/** What `GET /health/ready` reports (Terminus' shape); `ready` is false on its 503. */
export interface HealthReport {
  ready: boolean;
  /** Per check (`store`): `{ status: 'up' | 'down', ... }`; empty when the instance is shutting down. */
  details: Record<string, { status: string; [key: string]: unknown }>;
}

/** RFC 9457 body, as the service sends it: `type` is `urn:workflow-store:problem:<name>`. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}
