import { newIdempotencyKey } from './idempotency-key.js';
import { withLease, type LeaseWork, type WithLeaseOptions } from './lease-runner.js';
import { retryPolicyOf, type RetryOptions, type RetryPolicy } from './retry.js';
import { HttpTransport, type RequestSpec } from './transport.js';
import type {
  AcquireLeaseInput,
  CreateInput,
  HealthReport,
  JsonObject,
  Lease,
  ListFilter,
  ListPage,
  ReplaceInput,
  Workflow,
  WorkflowHistory,
  WorkflowPatch,
} from './types.js';
import { updateLoop, type Updater, type UpdateOptions } from './update-loop.js';
import { WatchStream, type WatchOptions } from './watch.js';

export interface WorkflowClientOptions {
  /** Where the API is, e.g. `https://workflows.example.com` (a path prefix is kept). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Default: the global fetch. Inject one to record requests, add headers or route through a proxy. */
  fetch?: typeof fetch;
  retry?: RetryOptions;
  /** Per attempt (connect + read the answer; for a watch: until its head). Default: none. */
  timeoutMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface WriteOptions extends CallOptions {
  /** Default: a fresh UUID per call, the same for all of that call's retries. Pass your own to span restarts. */
  idempotencyKey?: string;
  /** The workflow's live lease token (`Lease-Token`). */
  leaseToken?: number;
}

export interface ConditionalWriteOptions extends WriteOptions {
  /** Compare-and-set: the version the write must find (`If-Match: "<n>"`), or `*` for "any existing". */
  ifMatch?: number | '*';
}

export interface PutOptions extends ConditionalWriteOptions {
  /** `*`: create only (412 when it exists). */
  ifNoneMatch?: '*';
}

export interface TouchOptions extends ConditionalWriteOptions {
  /** A new sliding TTL, kept for later writes too. */
  ttlSeconds?: number;
}

export interface ReleaseLeaseOptions extends CallOptions {
  /** Release only while the workflow is at this version (`If-Match: "<n>"`; 412 otherwise), or `*` for "exists". */
  ifMatch?: number | '*';
}

/** The answer to a conditional read whose `ifNoneMatch` version is still current (304). */
export interface NotModified {
  notModified: true;
  version: number;
}

export type ConditionalReadOptions = CallOptions & { ifNoneMatch: number };

const MERGE_PATCH = 'application/merge-patch+json';

/** A typed client of the workflow-store HTTP API; see libs/client/README.md. One instance per base URL and key. */
export class WorkflowClient {
  private readonly transport: HttpTransport;
  private readonly retry: RetryPolicy;

  constructor(options: WorkflowClientOptions) {
    this.retry = retryPolicyOf(options.retry);
    // Bound: a browser's fetch called as a method of another object throws "Illegal invocation".
    const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.transport = new HttpTransport({ baseUrl: options.baseUrl, apiKey: options.apiKey, fetch: fetchImpl, retry: this.retry, timeoutMs: options.timeoutMs });
  }

  /** `POST /workflows` → 201. AlreadyExistsProblem when the id is taken. */
  async create<S extends JsonObject>(input: CreateInput<S>, options: Omit<WriteOptions, 'leaseToken'> = {}): Promise<Workflow<S>> {
    return this.#write<Workflow<S>>({ method: 'POST', path: '/workflows', body: input }, options);
  }

  /** `GET /workflows/:id`. With `ifNoneMatch` (a version you hold): NotModified while it is still current. */
  async get<S extends JsonObject = JsonObject>(id: string, options: ConditionalReadOptions): Promise<Workflow<S> | NotModified>;
  async get<S extends JsonObject = JsonObject>(id: string, options?: CallOptions): Promise<Workflow<S>>;
  async get<S extends JsonObject>(id: string, options: CallOptions & { ifNoneMatch?: number } = {}): Promise<Workflow<S> | NotModified> {
    return this.#conditionalRead<Workflow<S>>(workflowPath(id), options);
  }

  /** `GET /workflows`: one page. */
  async list<S extends JsonObject = JsonObject>(filter: ListFilter = {}, options: CallOptions = {}): Promise<ListPage<S>> {
    const { type, status, stalled, limit, cursor } = filter;
    const query = { type, status, stalled: stalled ? 'true' : undefined, limit, cursor };
    return (await this.transport.send({ method: 'GET', path: '/workflows', query, retry: 'repeatable', signal: options.signal })).body as ListPage<S>;
  }

  /** Every page of a filter, following `nextCursor` (from `filter.cursor` when given). */
  async *listPages<S extends JsonObject = JsonObject>(filter: ListFilter = {}, options: CallOptions = {}): AsyncIterableIterator<ListPage<S>> {
    let cursor = filter.cursor;
    do {
      const page = await this.list<S>({ ...filter, cursor }, options);
      yield page;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** Every workflow matching a filter, page after page (`limit` is the page size). */
  async *listAll<S extends JsonObject = JsonObject>(filter: Omit<ListFilter, 'cursor'> = {}, options: CallOptions = {}): AsyncIterableIterator<Workflow<S>> {
    for await (const page of this.listPages<S>(filter, options)) yield* page.items;
  }

  /** `PUT /workflows/:id`: replace (or create: no `ifMatch` = upsert; `ifNoneMatch: '*'` = create only). */
  async put<S extends JsonObject>(id: string, body: ReplaceInput<S>, options: PutOptions = {}): Promise<Workflow<S>> {
    const headers = { 'if-none-match': options.ifNoneMatch };
    return this.#write<Workflow<S>>({ method: 'PUT', path: workflowPath(id), body, headers }, options);
  }

  /** `PATCH /workflows/:id` with a JSON Merge Patch, applied atomically. */
  async patch<S extends JsonObject = JsonObject>(id: string, mergePatch: WorkflowPatch, options: ConditionalWriteOptions = {}): Promise<Workflow<S>> {
    return this.#write<Workflow<S>>({ method: 'PATCH', path: workflowPath(id), body: mergePatch, contentType: MERGE_PATCH }, options);
  }

  /** `DELETE /workflows/:id` → 204; its lease goes with it. */
  async delete(id: string, options: ConditionalWriteOptions = {}): Promise<void> {
    await this.#write<undefined>({ method: 'DELETE', path: workflowPath(id) }, options);
  }

  /** `POST /workflows/:id/touch`: restarts the TTL; state and version unchanged. With `ifMatch`: only at that version (412). */
  async touch<S extends JsonObject = JsonObject>(id: string, options: TouchOptions = {}): Promise<Workflow<S>> {
    const body = options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds };
    return this.#write<Workflow<S>>({ method: 'POST', path: `${workflowPath(id)}/touch`, body }, options);
  }

  /** `GET /workflows/:id/versions`: the kept versions, newest first, without states. */
  async versions(id: string, options: CallOptions = {}): Promise<WorkflowHistory> {
    return (await this.transport.send({ method: 'GET', path: `${workflowPath(id)}/versions`, retry: 'repeatable', signal: options.signal })).body as WorkflowHistory;
  }

  /** `GET /workflows/:id/versions/:n`: the workflow as it was (VersionNotKeptProblem once out of the window). */
  async version<S extends JsonObject = JsonObject>(id: string, n: number, options: ConditionalReadOptions): Promise<Workflow<S> | NotModified>;
  async version<S extends JsonObject = JsonObject>(id: string, n: number, options?: CallOptions): Promise<Workflow<S>>;
  async version<S extends JsonObject>(id: string, n: number, options: CallOptions & { ifNoneMatch?: number } = {}): Promise<Workflow<S> | NotModified> {
    return this.#conditionalRead<Workflow<S>>(`${workflowPath(id)}/versions/${encodeURIComponent(String(n))}`, options);
  }

  /** `POST /workflows/:id/lease` → 201. LeaseHeldProblem (owner, expiresAt) while someone holds it. */
  async acquireLease(id: string, input: AcquireLeaseInput, options: CallOptions = {}): Promise<Lease> {
    // No Idempotency-Key (the route takes none) and no retry after a lost answer: see RetryClass `once`.
    const spec: RequestSpec = { method: 'POST', path: `${workflowPath(id)}/lease`, body: input, retry: 'once', signal: options.signal };
    return (await this.transport.send(spec)).body as Lease;
  }

  /** `PUT /workflows/:id/lease`: the lease lasts `ttlMs` from now. LeaseLostProblem when it is no longer ours. */
  async renewLease(id: string, token: number, ttlMs: number, options: CallOptions = {}): Promise<Lease> {
    const spec: RequestSpec = { method: 'PUT', path: `${workflowPath(id)}/lease`, body: { ttlMs }, headers: { 'lease-token': String(token) }, retry: 'repeatable', signal: options.signal };
    return (await this.transport.send(spec)).body as Lease;
  }

  /** `DELETE /workflows/:id/lease` → 204. With `ifMatch`: only while the workflow is at that version (412; the token is checked first). */
  async releaseLease(id: string, token: number, options: ReleaseLeaseOptions = {}): Promise<void> {
    const headers = { 'lease-token': String(token), 'if-match': options.ifMatch === undefined ? undefined : entityTag(options.ifMatch) };
    await this.transport.send({ method: 'DELETE', path: `${workflowPath(id)}/lease`, headers, retry: 'repeatable', signal: options.signal });
  }

  /** `GET /health/ready`, not retried: `ready` false on its 503 (backend unreachable, or shutting down). */
  async health(options: CallOptions = {}): Promise<HealthReport> {
    const answer = await this.transport.send({ method: 'GET', path: '/health/ready', retry: 'once', accepted: [503], signal: options.signal });
    const body = (answer.body ?? {}) as { details?: HealthReport['details']; checks?: { details?: HealthReport['details'] } };
    return { ready: answer.status === 200, details: (answer.status === 200 ? body.details : body.checks?.details) ?? {} };
  }

  /** `GET /health/live`: whether the process answers (never depends on the backend). */
  async live(options: CallOptions = {}): Promise<boolean> {
    const answer = await this.transport.send({ method: 'GET', path: '/health/live', retry: 'once', accepted: [503], signal: options.signal });
    return answer.status === 200;
  }

  /** The change feed (`GET /events`, or `GET /workflows/:id/events` with `id`); resolves once the watch is live. */
  async watch(options: WatchOptions = {}): Promise<WatchStream> {
    return new WatchStream(this.transport, this.retry, options).start();
  }

  /** Read-modify-write with If-Match, re-read and reapplied on 412: see update-loop.ts. */
  async update<S extends JsonObject = JsonObject>(id: string, fn: Updater<S>, options: UpdateOptions = {}): Promise<Workflow<S>> {
    const cas = { get: <T extends JsonObject>(wid: string, o?: CallOptions) => this.get<T>(wid, o), put: this.put.bind(this) };
    return updateLoop<S>(cas, this.retry, id, fn, options);
  }

  /** Runs `fn` under the workflow's lease, renewed in the background: see lease-runner.ts. */
  async withLease<T>(id: string, options: WithLeaseOptions, fn: LeaseWork<T>): Promise<T> {
    return withLease(this, id, options, fn);
  }

  /** A keyed, possibly conditional, possibly fenced write: retried on 503/429/no answer with the same key. */
  async #write<T>(spec: Omit<RequestSpec, 'retry'>, options: ConditionalWriteOptions): Promise<T> {
    const headers: Record<string, string | undefined> = {
      ...spec.headers,
      'idempotency-key': options.idempotencyKey ?? newIdempotencyKey(),
      'if-match': options.ifMatch === undefined ? undefined : entityTag(options.ifMatch),
      'lease-token': options.leaseToken === undefined ? undefined : String(options.leaseToken),
    };
    return (await this.transport.send({ ...spec, headers, retry: 'repeatable', signal: options.signal })).body as T;
  }

  async #conditionalRead<T>(path: string, options: CallOptions & { ifNoneMatch?: number }): Promise<T | NotModified> {
    const headers = { 'if-none-match': options.ifNoneMatch === undefined ? undefined : entityTag(options.ifNoneMatch) };
    const answer = await this.transport.send({ method: 'GET', path, headers, accepted: [304], retry: 'repeatable', signal: options.signal });
    if (answer.status === 304) return { notModified: true, version: versionOf(answer.headers) ?? (options.ifNoneMatch as number) };
    return answer.body as T;
  }
}

function workflowPath(id: string): string {
  return `/workflows/${encodeURIComponent(id)}`;
}

/** A version as a strong entity tag (the service's ETag), or `*`. */
function entityTag(version: number | '*'): string {
  return version === '*' ? '*' : `"${version}"`;
}

/** The version an ETag header names. */
function versionOf(headers: Headers): number | undefined {
  const match = /^"(\d+)"$/.exec(headers.get('etag') ?? '');
  return match ? Number(match[1]) : undefined;
}
