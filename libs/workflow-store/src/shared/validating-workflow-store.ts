import { v7 as uuidv7 } from 'uuid';
import { NotFoundError } from '../errors/not-found.error.js';
import { VersionConflictError } from '../errors/version-conflict.error.js';
import type { LimitsOptions } from '../config/workflow-store.options.js';
import { WorkflowStore } from '../workflow-store.js';
import { withState, type StoredWorkflowBytes, type StoredWorkflowJson } from '../workflow-json.js';
import {
  createInputSchema,
  DEFAULT_LIST_LIMIT,
  DEFAULT_STATUS,
  DEFAULT_TENANT,
  listQuerySchema,
  patchSchema,
  saveInputSchema,
  tenantSchema,
  workflowIdSchema,
  writeOptionsSchema,
} from '../workflow.schema.js';
import type {
  CreateInput,
  DeleteOptions,
  JsonObject,
  ListPage,
  ListQuery,
  MutateOptions,
  MutateResult,
  RestoreOutcome,
  SaveInput,
  SaveOptions,
  TouchOptions,
  UpdateOptions,
  Workflow,
  WorkflowPatch,
  WriteOptions,
} from '../workflow.types.js';
import { decodeCursor, encodeCursor } from './list-cursor.js';
import { rangeOf } from './list-order.js';
import { applyMergePatch } from './merge-patch.js';
import { serializeState } from './state-json.js';
import type { StorageBackend, WriteReply } from './storage-backend.js';
import { checkTtl } from './ttl-policy.js';
import { validate } from './validate.js';
import { restoreRecordSchema } from './restore-record.schema.js';

const DEFAULT_MUTATE_ATTEMPTS = 10;
/** An unconditional patch retries this often when other writers keep winning the race. */
const PATCH_ATTEMPTS = 25;
/** Rounds of index reads one `list` call may make to fill a page past entries of expired workflows. */
const LIST_ROUNDS = 4;

// Derived schemas are built once: zod compiles a schema on its first parse, so a `.pick()` per call would
// rebuild and recompile it on every write (it was a fifth of the CPU of a 1 KB save).
const createOptionsSchema = writeOptionsSchema.pick({ operationId: true });
const conditionalOptionsSchema = writeOptionsSchema.pick({ operationId: true, expectedVersion: true });
const mutateOptionsSchema = writeOptionsSchema.pick({ operationId: true, maxAttempts: true });
const touchOptionsSchema = writeOptionsSchema.pick({ operationId: true, ttlSeconds: true });
const mutateResultSchema = saveInputSchema.omit({ ttlSeconds: true });

/**
 * The one implementation of the `WorkflowStore` contract: validates, applies limits, merge patch, retries and
 * cursors, and delegates storage to a backend adapter. Both backends share it, so they cannot drift apart.
 */
export class ValidatingWorkflowStore extends WorkflowStore {
  private closed = false;
  private readonly tenants = new Map<string, ValidatingWorkflowStore>();

  /** `root`: set on a tenant view; tenant lookups always go through the root. */
  constructor(
    readonly backend: StorageBackend,
    private readonly limits: LimitsOptions,
    private readonly root?: ValidatingWorkflowStore,
  ) {
    super();
  }

  /** Connects the backend (Redis: waits for `ready`; memory: loads the snapshot). */
  async connect(): Promise<void> {
    await this.backend.connect();
  }

  async create(input: CreateInput, options: WriteOptions = {}): Promise<Workflow> {
    const data = validate(createInputSchema, input, 'input');
    const opts = validate(createOptionsSchema, options, 'options');
    const ttlSeconds = checkTtl(data.ttlSeconds, this.limits, 'input.ttlSeconds') ?? this.limits.defaultTtlSeconds;
    const record = {
      id: data.id ?? uuidv7(),
      type: data.type,
      status: data.status ?? DEFAULT_STATUS,
      stateJson: serializeState(data.state, this.limits.maxStateBytes),
      ttlSeconds,
    };
    return this.settle(record.id, await this.backend.create(record, opts.operationId), opts.operationId);
  }

  async get(id: string): Promise<Workflow | null> {
    return this.backend.get(validate(workflowIdSchema, id, 'id'));
  }

  async getJson(id: string): Promise<StoredWorkflowJson | null> {
    return this.backend.getJson(validate(workflowIdSchema, id, 'id'));
  }

  async getJsonBytes(id: string): Promise<StoredWorkflowBytes | null> {
    return this.backend.getJsonBytes(validate(workflowIdSchema, id, 'id'));
  }

  async save(id: string, input: SaveInput, options: SaveOptions = {}): Promise<Workflow> {
    const { reply, operationId } = await this.saveReply(id, input, options);
    return this.settle(id, reply, operationId);
  }

  async saveJson(id: string, input: SaveInput, options: SaveOptions = {}): Promise<StoredWorkflowJson> {
    const { reply, operationId } = await this.saveReply(id, input, options);
    if (reply.kind === 'applied-json') return { workflow: reply.workflow, stateJson: reply.stateJson };
    if (reply.kind === 'applied') {
      const { state, ...workflow } = reply.workflow;
      return { workflow, stateJson: JSON.stringify(state) };
    }
    const stored = await this.backend.getJson(id);
    if (!stored) throw new NotFoundError(id, `operation ${operationId ?? ''} was applied earlier, but workflow ${id} no longer exists`);
    return stored;
  }

  private async saveReply(id: string, input: SaveInput, options: SaveOptions): Promise<{ reply: WriteReply; operationId: string | undefined }> {
    validate(workflowIdSchema, id, 'id');
    const data = validate(saveInputSchema, input, 'input');
    const opts = validate(conditionalOptionsSchema, options, 'options');
    const write = {
      id,
      type: data.type,
      status: data.status,
      stateJson: serializeState(data.state, this.limits.maxStateBytes),
      ttlSeconds: checkTtl(data.ttlSeconds, this.limits, 'input.ttlSeconds'),
    };
    return { reply: await this.backend.save(write, opts.expectedVersion, opts.operationId), operationId: opts.operationId };
  }

  async update(id: string, patch: WorkflowPatch, options: UpdateOptions = {}): Promise<Workflow> {
    validate(workflowIdSchema, id, 'id');
    const data = validate(patchSchema, patch, 'patch');
    const opts = validate(conditionalOptionsSchema, options, 'options');
    // Normalise the caller's patch to plain JSON once (drops undefined members, copies it).
    const statePatch = data.state === undefined ? undefined : (JSON.parse(serializeState(data.state, Infinity)) as JsonObject);
    const attempts = opts.expectedVersion === undefined ? PATCH_ATTEMPTS : 1;
    // The merged state is built here from a fresh read and a private copy of the patch, so it can be returned as
    // it is (`ownsState`) instead of being parsed back from the JSON just written.
    return this.readModifyWrite(id, opts.expectedVersion, opts.operationId, attempts, true, (current) => ({
      type: data.type ?? current.type,
      status: data.status ?? current.status,
      state: statePatch === undefined ? current.state : (applyMergePatch(current.state, statePatch) as JsonObject),
    }));
  }

  async mutate(
    id: string,
    fn: (current: Workflow) => MutateResult | Promise<MutateResult>,
    options: MutateOptions = {},
  ): Promise<Workflow> {
    validate(workflowIdSchema, id, 'id');
    const opts = validate(mutateOptionsSchema, options, 'options');
    return this.readModifyWrite(id, undefined, opts.operationId, opts.maxAttempts ?? DEFAULT_MUTATE_ATTEMPTS, false, async (current) => {
      const next = validate(mutateResultSchema, await fn(current), 'mutate result');
      return { type: next.type ?? current.type, status: next.status ?? current.status, state: next.state as JsonObject };
    });
  }

  async delete(id: string, options: DeleteOptions = {}): Promise<void> {
    validate(workflowIdSchema, id, 'id');
    const opts = validate(conditionalOptionsSchema, options, 'options');
    await this.backend.delete(id, opts.expectedVersion, opts.operationId);
  }

  async list(query: ListQuery = {}): Promise<ListPage> {
    const q = validate(listQuerySchema, query, 'query');
    const limit = q.limit ?? DEFAULT_LIST_LIMIT;
    const { prefix } = rangeOf(q);
    let after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, prefix);
    const items: Workflow[] = [];
    let more = true;
    // Entries of workflows that expired but are not swept yet take slots; read again rather than return a short page.
    for (let round = 0; round < LIST_ROUNDS && more && items.length < limit; round++) {
      const slice = await this.backend.listSlice({ prefix, after }, limit - items.length);
      items.push(...slice.items);
      more = slice.more;
      after = slice.lastKey ?? after;
    }
    return { items, nextCursor: more && after !== undefined ? encodeCursor(prefix, after) : null };
  }

  async touch(id: string, options: TouchOptions = {}): Promise<Workflow> {
    validate(workflowIdSchema, id, 'id');
    const opts = validate(touchOptionsSchema, options, 'options');
    const ttlSeconds = checkTtl(opts.ttlSeconds, this.limits, 'options.ttlSeconds');
    return this.settle(id, await this.backend.touch(id, ttlSeconds, opts.operationId), opts.operationId);
  }

  async restore(record: Workflow): Promise<RestoreOutcome> {
    const data = validate(restoreRecordSchema, record, 'record') as Workflow;
    checkTtl(data.ttlSeconds, this.limits, 'record.ttlSeconds');
    return this.backend.restore(data, serializeState(data.state, this.limits.maxStateBytes));
  }

  async count(): Promise<number> {
    return this.backend.count();
  }

  forTenant(tenant: string): ValidatingWorkflowStore {
    if (this.root) return this.root.forTenant(tenant);
    // The default tenant is the store itself, so data written without tenants is the default tenant's.
    if (tenant === DEFAULT_TENANT) return this;
    let view = this.tenants.get(tenant);
    if (!view) {
      view = new ValidatingWorkflowStore(this.backend.scoped(validate(tenantSchema, tenant, 'tenant')), this.limits, this);
      this.tenants.set(tenant, view);
    }
    return view;
  }

  async ping(): Promise<void> {
    await this.backend.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.backend.close();
  }

  /** Reads, computes the next fields and commits them with a compare-and-set on the version that was read. */
  private async readModifyWrite(
    id: string,
    expectedVersion: number | undefined,
    operationId: string | undefined,
    attempts: number,
    ownsState: boolean,
    next: (current: Workflow) => MutateResult | Promise<MutateResult>,
  ): Promise<Workflow> {
    let lastSeen = 0;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const { workflow, replayed } = await this.backend.getForWrite(id, operationId);
      if (replayed) return this.current(id, operationId);
      if (!workflow) throw new NotFoundError(id);
      if (expectedVersion !== undefined && workflow.version !== expectedVersion) {
        throw new VersionConflictError(id, expectedVersion, workflow.version);
      }
      const fields = await next(workflow);
      const write = {
        id,
        type: fields.type,
        status: fields.status,
        stateJson: serializeState(fields.state, this.limits.maxStateBytes),
        ttlSeconds: undefined,
      };
      try {
        const reply = await this.backend.save(write, workflow.version, operationId);
        return await this.settle(id, reply, operationId, ownsState ? (fields.state as JsonObject) : undefined);
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
        lastSeen = error.currentVersion;
        if (expectedVersion !== undefined) throw new VersionConflictError(id, expectedVersion, error.currentVersion);
      }
    }
    throw new VersionConflictError(id, lastSeen - 1, lastSeen);
  }

  /**
   * The workflow a write produced. Its state is a private copy: the backend's, `ownedState` (built by the store
   * and referenced by no caller), or parsed from the JSON the backend returned.
   */
  private async settle(id: string, reply: WriteReply, operationId: string | undefined, ownedState?: JsonObject): Promise<Workflow> {
    if (reply.kind === 'applied') return reply.workflow;
    if (reply.kind === 'applied-json') return withState(reply.workflow, ownedState ?? (JSON.parse(reply.stateJson) as JsonObject));
    return this.current(id, operationId);
  }

  /** A repeated operation answers with the workflow as it is now. */
  private async current(id: string, operationId: string | undefined): Promise<Workflow> {
    const workflow = await this.backend.get(id);
    if (!workflow) {
      throw new NotFoundError(id, `operation ${operationId ?? ''} was applied earlier, but workflow ${id} no longer exists`);
    }
    return workflow;
  }
}
