/** Any JSON value, as stored in a workflow's `state`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object: the shape of every workflow's `state`. */
export type JsonObject = { [key: string]: JsonValue };

/** A stored workflow, as every backend returns it. Times are ISO-8601 UTC strings. */
export interface Workflow {
  /** Caller-chosen or generated (UUID v7); `[A-Za-z0-9_.-]`, 1–64 characters, not starting with `.`. */
  id: string;
  /** What kind of workflow this is, e.g. `invoice-review`. Safe charset, 1–64 characters. */
  type: string;
  /** Where it is, e.g. `review`. Safe charset, 1–64 characters. */
  status: string;
  /** The workflow's data: any JSON object up to the configured size. */
  state: JsonObject;
  /** Starts at 1; grows by exactly 1 on every successful write (touch does not count). */
  version: number;
  createdAt: string;
  updatedAt: string;
  /** When the workflow disappears unless it is written or touched before. */
  expiresAt: string;
  /** The sliding TTL, in seconds, that every write of this workflow restarts. */
  ttlSeconds: number;
}

/** Input of `create`. */
export interface CreateInput {
  /** Omit to get a generated UUID v7. */
  id?: string;
  type: string;
  /** Defaults to `created`. */
  status?: string;
  state: JsonObject;
  /** Sliding TTL of this workflow in seconds; defaults to `WORKFLOW_STATE_TTL`, at most `WORKFLOW_MAX_TTL`. */
  ttlSeconds?: number;
}

/** Input of `save`: an unconditional upsert. Omitted `type`/`status` keep the stored ones (or the defaults for a new workflow). */
export interface SaveInput {
  type?: string;
  status?: string;
  state: JsonObject;
  ttlSeconds?: number;
}

/** A JSON Merge Patch (RFC 7396) over the writable fields. `null` inside `state` deletes that member; `state` itself cannot be removed (send `{}` members as `null` to clear it). */
export interface WorkflowPatch {
  type?: string;
  status?: string;
  state?: { [key: string]: JsonValue };
}

/** Options shared by every write. */
export interface WriteOptions {
  /**
   * Caller-chosen idempotency key of this write (`[A-Za-z0-9_.~-]`, 1–128 chars), scoped to the workflow it targets.
   * A write re-sent with the same key and the same request (kind, id, content, expected version) within
   * `IDEMPOTENCY_TTL` — but never past the workflow's expiry as of that write — is applied at most once: the repeat
   * answers with the workflow as stored now and `replayOf()` on the result says what the original did (or throws
   * `NotFoundError` when the workflow is gone). The same key with a different request throws
   * `IdempotencyKeyReusedError` and writes nothing. A `create` without an id derives the id from the key, so its
   * retry finds the workflow the first attempt created.
   */
  operationId?: string;
  /**
   * The token of the workflow's live lease (see `acquireLease`). While a workflow has a live lease every write must
   * carry its token: without one it throws `LeaseHeldError`, with any other (older, released, expired)
   * `LeaseLostError`. Checked inside the write's own atomic script.
   */
  leaseToken?: number;
}

/** What a write that was a repeat of an earlier one (same idempotency key and request) did the first time. */
export interface ReplayInfo {
  /** `created`: the write created the workflow (HTTP 201); `written`, `touched`, `deleted`: what it did otherwise. */
  outcome: 'created' | 'written' | 'touched' | 'deleted';
  /** The version the original write produced (for a delete: the version it deleted). */
  version: number;
  /**
   * True when the workflow returned is not the one the original write left: another version, or another workflow
   * under the same id (deleted and created again; told apart by creation time in ms). For a delete: true when the
   * id exists again.
   */
  changedSince: boolean;
}

/** What `delete` did. */
export interface DeleteResult {
  id: string;
  /** The version that was deleted. */
  version: number;
}

export interface SaveOptions extends WriteOptions {
  /** When given, the save only succeeds if the stored version equals it (compare-and-set). */
  expectedVersion?: number;
}

export interface UpdateOptions extends WriteOptions {
  /** When given, the patch only applies if the stored version equals it; otherwise it applies to the latest version. */
  expectedVersion?: number;
}

export interface DeleteOptions extends WriteOptions {
  expectedVersion?: number;
}

export interface TouchOptions extends WriteOptions {
  /** New sliding TTL in seconds (stored for later writes too); defaults to the workflow's own TTL. */
  ttlSeconds?: number;
  /**
   * When given, the touch only applies if the stored version equals it (`VersionConflictError` otherwise, nothing
   * written). A touch does not change the version, so a touch that applied leaves it as expected.
   */
  expectedVersion?: number;
}

export interface MutateOptions extends WriteOptions {
  /** How many read-modify-write rounds to try before giving up with `VersionConflictError`. Default 10. */
  maxAttempts?: number;
}

/** What a `mutate` callback returns: the new writable fields (omitted ones stay as they are). */
export interface MutateResult {
  type?: string;
  status?: string;
  state: JsonObject;
}

export interface ListQuery {
  type?: string;
  status?: string;
  /** Only stalled workflows: their lease expired without release, and nothing acquired or wrote them since. Not with `type`/`status`. */
  stalled?: true;
  /** Page size, 1–1000. Default 100. */
  limit?: number;
  /** The `nextCursor` of the previous page; only valid with the same `type`/`status` filter. */
  cursor?: string;
}

export interface ListPage {
  items: Workflow[];
  /** Pass back to get the next page; `null` when there is nothing more. */
  nextCursor: string | null;
}

/** Outcome of `restore` (used by snapshot load, import and migration). */
export type RestoreOutcome = 'written' | 'skipped-same' | 'skipped-newer' | 'skipped-expired';

/** One kept version of a workflow, without its state (see `WorkflowStore.history`). */
export interface WorkflowVersionSummary {
  version: number;
  type: string;
  status: string;
  /** When this version was written. */
  updatedAt: string;
}

/** The versions of a workflow the store still holds: the current one and up to `WORKFLOW_HISTORY_VERSIONS` before it. */
export interface WorkflowHistory {
  id: string;
  currentVersion: number;
  /** The oldest version `getVersion` can still return (the current one when nothing earlier is kept). */
  oldestVersion: number;
  /** Newest first, the current version included. */
  versions: WorkflowVersionSummary[];
}

/** A workflow with its kept earlier versions, as an export with history carries it and `restore` takes it. */
export interface WorkflowWithHistory {
  workflow: Workflow;
  /** Earlier versions, each a whole workflow as it was at that version; any order. */
  history: Workflow[];
}

/** A workflow's lease: who works on it, until when, and the fencing token its writes must carry. */
export interface Lease {
  id: string;
  /** Strictly greater than every token issued for this workflow before; never reused. */
  token: number;
  owner: string;
  expiresAt: string;
}

/** Options of `releaseLease`. */
export interface ReleaseLeaseOptions {
  /** When given, the lease is only released if the workflow's stored version equals it (`VersionConflictError` otherwise). */
  expectedVersion?: number;
}

/**
 * A workflow's last lease as the store holds it (`getLease`), whatever became of it: what a lease ended as stays
 * readable until the next acquisition replaces it or the workflow goes (delete, expiry, restore, re-create).
 */
export interface LeaseView {
  id: string;
  /** The lease's fencing token (also the last token issued for this workflow while it lives). */
  token: number;
  owner: string;
  /** When it expires, or expired, unless renewed (ISO-8601 UTC). */
  expiresAt: string;
  /**
   * `held`: live now (by the store's clock); `expired`: ended without release and nothing acquired or wrote the
   * workflow since (the workflow is stalled, or is marked so by the next lease sweep); `released`: ended by
   * `releaseLease`; `cleared`: it expired, then a write went ahead without it.
   */
  state: 'held' | 'expired' | 'released' | 'cleared';
}

export interface AcquireLeaseOptions {
  /** Who holds it (1–128 of `A-Z a-z 0-9 _ . : @ / -`), reported to others in `LeaseHeldError`. */
  owner: string;
  /** How long it lasts unless renewed, in ms: 100 – `LEASE_MAX_TTL_MS`. */
  ttlMs: number;
}
