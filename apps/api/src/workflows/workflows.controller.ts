import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  DEFAULT_LIST_LIMIT,
  NotFoundError,
  WorkflowStore,
  replayOf,
  workflowJsonBytes,
  workflowJsonText,
  type CreateInput,
  type ListPage,
  type SaveInput,
  type Workflow,
  type WorkflowPatch,
} from '#workflow-store';
import type { Environment } from '../config/environment.js';
import { TenantStores } from '../auth/tenant-stores.js';
import { ProblemException } from '../problem/problem.exception.js';
import { etagOf, expectedVersionOf, ifNoneMatchHits, parseEntityTags, type EntityTagCondition } from './conditional-request.js';
import { operationIdFrom } from './idempotency-key.js';
import { answerReplay, currentVersionAfter } from './idempotent-replay.js';
import { listQueryFrom } from './list-query.js';
import { requireMediaType } from './media-type.js';
import { openApiSchemas } from '../openapi/openapi-schemas.js';
import { ApiIdempotentWrite, DELETE_RESPONSE_HEADERS, WRITE_RESPONSE_HEADERS } from '../openapi/idempotent-write.js';
import { ApiLeaseFenced } from '../openapi/lease-token.js';
import { ApiProblems, READ_PROBLEMS } from '../openapi/problem-responses.js';
import { leaseTokenFrom, refuseLeaseTokenOnCreate } from '../leases/lease-token-header.js';

const JSON_TYPE = 'application/json';
const MERGE_PATCH_TYPE = 'application/merge-patch+json';
/** What Fastify sends for a serialised object; a pre-serialised body says so itself. */
const JSON_RESPONSE_TYPE = 'application/json; charset=utf-8';
const TOUCH_PRECONDITION_FAILED: [number, string] = [
  412,
  'precondition-failed: If-Match does not match the workflow\'s version, or the workflow does not exist; the body has currentVersion. Nothing was written',
];

/** Maps HTTP (RFC 9110 conditional requests) onto WorkflowStore calls; no storage logic lives here. */
@ApiTags('workflows')
@Controller('workflows')
export class WorkflowsController {
  private readonly requireIfMatch: boolean;

  constructor(
    private readonly stores: TenantStores,
    config: ConfigService<Environment, true>,
  ) {
    this.requireIfMatch = config.get('api', { infer: true }).requireIfMatch;
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a workflow (409 if the id exists)' })
  @ApiBody({ schema: openApiSchemas.createInput })
  @ApiIdempotentWrite()
  @ApiResponse({
    status: 201,
    description: 'Created (or a replay of the create); ETag is the version, Location the URL',
    schema: openApiSchemas.workflow,
    headers: { Location: { description: 'The URL of the workflow', schema: { type: 'string' } }, ...WRITE_RESPONSE_HEADERS },
  })
  async create(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Workflow> {
    requireMediaType(request, JSON_TYPE);
    refuseLeaseTokenOnCreate(request.headers['lease-token']);
    const store = this.stores.of(request);
    const workflow = await store.create(body as CreateInput, { operationId: operationIdFrom(request.headers['idempotency-key']) });
    reply.header('location', locationOf(workflow));
    return represent(store, reply, workflow);
  }

  @Get()
  @ApiOperation({ summary: 'List workflows, filtered by type and/or status, or the stalled ones, one page at a time' })
  @ApiQuery({ name: 'type', required: false, description: 'Only workflows of this type', schema: { type: 'string' } })
  @ApiQuery({ name: 'status', required: false, description: 'Only workflows with this status', schema: { type: 'string' } })
  @ApiQuery({
    name: 'stalled',
    required: false,
    description:
      'true: only stalled workflows, whose lease expired without release and that nobody acquired or wrote since (found within ' +
      'LEASE_SWEEP_INTERVAL_MS of the expiry). Only true is accepted; not with type or status (400)',
    schema: { type: 'string', enum: ['true'] },
  })
  @ApiQuery({ name: 'limit', required: false, description: 'Page size, 1-1000 (100 by default)', schema: { type: 'integer', minimum: 1, maximum: 1000 } })
  @ApiQuery({ name: 'cursor', required: false, description: 'The nextCursor of the previous page, with the same filter', schema: { type: 'string' } })
  @ApiResponse({ status: 200, schema: openApiSchemas.listPage })
  @ApiProblems([400, 'invalid-input: an unknown or repeated parameter, a malformed filter, limit or cursor, stalled other than true or with type/status'], ...READ_PROBLEMS)
  async list(@Query() query: Record<string, unknown>, @Req() request: FastifyRequest): Promise<ListPage> {
    return this.stores.of(request).list({ limit: DEFAULT_LIST_LIMIT, ...listQueryFrom(query) });
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a workflow (304 when If-None-Match matches)' })
  @ApiResponse({ status: 200, schema: openApiSchemas.workflow })
  async get(@Param('id') id: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer | undefined> {
    // The stored state bytes go out as they are: parsing and re-encoding the state, then decoding it to a string
    // and encoding it back, were most of the cost of a large read.
    const stored = await this.stores.of(request).getJsonBytes(id);
    if (!stored) throw new NotFoundError(id);
    const { version } = stored.workflow;
    const ifNoneMatch = parseEntityTags(request.headers['if-none-match'], 'If-None-Match');
    if (ifNoneMatch && ifNoneMatchHits(ifNoneMatch, version)) {
      reply.status(304).header('etag', etagOf(version));
      return undefined;
    }
    reply.header('etag', etagOf(version)).type(JSON_RESPONSE_TYPE);
    return workflowJsonBytes(stored);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Replace the state: If-Match = compare-and-set, If-None-Match: * = create only, neither = upsert' })
  @ApiBody({ schema: openApiSchemas.saveInput })
  @ApiIdempotentWrite()
  @ApiLeaseFenced()
  @ApiResponse({ status: 200, description: 'Replaced', schema: openApiSchemas.workflow, headers: WRITE_RESPONSE_HEADERS })
  @ApiResponse({
    status: 201,
    description: 'Created (no If-Match, or If-None-Match: *), or a replay of such a create',
    schema: openApiSchemas.workflow,
    headers: { Location: { description: 'The URL of the workflow', schema: { type: 'string' } }, ...WRITE_RESPONSE_HEADERS },
  })
  async put(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Workflow | string> {
    requireMediaType(request, JSON_TYPE);
    const store = this.stores.of(request);
    const operationId = operationIdFrom(request.headers['idempotency-key']);
    const leaseToken = leaseTokenFrom(request.headers['lease-token']);
    const ifMatch = parseEntityTags(request.headers['if-match'], 'If-Match');
    const ifNoneMatch = parseEntityTags(request.headers['if-none-match'], 'If-None-Match');
    if (ifNoneMatch?.any) {
      refuseLeaseTokenOnCreate(request.headers['lease-token']);
      const input = (body ?? {}) as SaveInput;
      const created = await store.create({ type: 'default', ...input, id } as CreateInput, { operationId });
      reply.status(201).header('location', locationOf(created));
      return represent(store, reply, created);
    }
    if (ifNoneMatch) await refuseIfNoneMatch(store, id, ifNoneMatch);
    const expectedVersion = await this.expectedVersionFor(store, id, ifMatch);
    // Answered with the state JSON just stored, not parsed back and re-encoded (see GET).
    const stored = await store.saveJson(id, body as SaveInput, { expectedVersion, operationId, leaseToken });
    const replay = replayOf(stored);
    if (replay) answerReplay(reply, replay, locationOf(stored.workflow), await currentVersionAfter(store, id, replay, stored.workflow.version));
    else {
      if (!ifMatch && stored.workflow.version === 1) reply.status(201).header('location', locationOf(stored.workflow));
      reply.header('etag', etagOf(stored.workflow.version));
    }
    reply.type(JSON_RESPONSE_TYPE);
    return workflowJsonText(stored);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Apply a JSON Merge Patch (application/merge-patch+json) atomically' })
  @ApiBody({ schema: openApiSchemas.patch })
  @ApiIdempotentWrite()
  @ApiLeaseFenced()
  @ApiResponse({ status: 200, schema: openApiSchemas.workflow, headers: WRITE_RESPONSE_HEADERS })
  async patch(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Workflow> {
    if (request.headers['content-type'] === undefined) {
      throw new ProblemException('unsupported-media-type', `PATCH takes ${MERGE_PATCH_TYPE}`);
    }
    requireMediaType(request, MERGE_PATCH_TYPE);
    const leaseToken = leaseTokenFrom(request.headers['lease-token']);
    const store = this.stores.of(request);
    const expectedVersion = await this.expectedVersionFor(store, id, parseEntityTags(request.headers['if-match'], 'If-Match'), true);
    const workflow = await store.update(id, body as WorkflowPatch, {
      expectedVersion,
      operationId: operationIdFrom(request.headers['idempotency-key']),
      leaseToken,
    });
    return represent(store, reply, workflow);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a workflow (If-Match supported); its lease goes with it' })
  @ApiIdempotentWrite()
  @ApiLeaseFenced()
  @ApiResponse({ status: 204, description: 'Deleted, or a replay of the delete', headers: DELETE_RESPONSE_HEADERS })
  async remove(@Param('id') id: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const leaseToken = leaseTokenFrom(request.headers['lease-token']);
    const store = this.stores.of(request);
    const expectedVersion = await this.expectedVersionFor(store, id, parseEntityTags(request.headers['if-match'], 'If-Match'), true);
    const deleted = await store.delete(id, { expectedVersion, operationId: operationIdFrom(request.headers['idempotency-key']), leaseToken });
    const replay = replayOf(deleted);
    if (!replay) return;
    // Written again since the delete: a workflow exists under the id now; the header says at which version.
    const current = replay.changedSince ? await store.getJsonBytes(id) : null;
    answerReplay(reply, replay, locationOf(deleted), current?.workflow.version);
  }

  @Post(':id/touch')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Restart the TTL without changing state or version; body { ttlSeconds? } is optional. If-Match: only at that version ' +
      '(412 otherwise, nothing written); optional, also with REQUIRE_IF_MATCH',
  })
  @ApiIdempotentWrite()
  @ApiLeaseFenced()
  @ApiResponse({ status: 200, schema: openApiSchemas.workflow, headers: WRITE_RESPONSE_HEADERS })
  @ApiProblems(TOUCH_PRECONDITION_FAILED)
  async touch(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Workflow> {
    requireMediaType(request, JSON_TYPE);
    const { ttlSeconds, ...rest } = (body ?? {}) as { ttlSeconds?: number };
    const notAnObject = body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body));
    if (notAnObject || Object.keys(rest).length > 0) {
      throw new ProblemException('invalid-input', 'touch takes an optional JSON object { "ttlSeconds": n } and nothing else');
    }
    const leaseToken = leaseTokenFrom(request.headers['lease-token']);
    const store = this.stores.of(request);
    // Not required by REQUIRE_IF_MATCH: a touch changes no state, and keep-alive touches predate If-Match on it.
    const expectedVersion = await expectedVersionOf(store, id, parseEntityTags(request.headers['if-match'], 'If-Match'), true);
    const operationId = operationIdFrom(request.headers['idempotency-key']);
    const workflow = await store.touch(id, { ttlSeconds, operationId, leaseToken, expectedVersion });
    return represent(store, reply, workflow);
  }

  /**
   * The version a write must find (see `expectedVersionOf`), or undefined for an unconditional write (428 when
   * REQUIRE_IF_MATCH is on). `anyIsExisting`: the write (PATCH, DELETE) already refuses a missing workflow.
   */
  private async expectedVersionFor(
    store: WorkflowStore,
    id: string,
    ifMatch: EntityTagCondition | undefined,
    anyIsExisting = false,
  ): Promise<number | undefined> {
    if (!ifMatch && this.requireIfMatch) throw preconditionRequired();
    return expectedVersionOf(store, id, ifMatch, anyIsExisting);
  }
}

/** The answer of a write that returns the workflow: ETag = its version, or the original answer when it was a replay. */
async function represent(store: WorkflowStore, reply: FastifyReply, workflow: Workflow): Promise<Workflow> {
  const replay = replayOf(workflow);
  if (replay) answerReplay(reply, replay, locationOf(workflow), await currentVersionAfter(store, workflow.id, replay, workflow.version));
  else reply.header('etag', etagOf(workflow.version));
  return workflow;
}

function locationOf(workflow: Pick<Workflow, 'id'>): string {
  return `/workflows/${encodeURIComponent(workflow.id)}`;
}

function preconditionRequired(): ProblemException {
  return new ProblemException('precondition-required', 'This service requires If-Match on writes to existing workflows (REQUIRE_IF_MATCH=true)');
}

async function refuseIfNoneMatch(store: WorkflowStore, id: string, condition: EntityTagCondition): Promise<void> {
  const current = await store.get(id);
  if (current && ifNoneMatchHits(condition, current.version)) {
    throw new ProblemException('precondition-failed', `If-None-Match matches the current version of ${id}`, { currentVersion: current.version });
  }
}
