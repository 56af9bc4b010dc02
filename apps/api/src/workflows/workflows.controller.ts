import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  DEFAULT_LIST_LIMIT,
  NotFoundError,
  WorkflowStore,
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
import { etagOf, ifMatchAccepts, ifNoneMatchHits, parseEntityTags, type EntityTagCondition } from './conditional-request.js';
import { operationIdFrom } from './idempotency-key.js';
import { listQueryFrom } from './list-query.js';
import { requireMediaType } from './media-type.js';
import { openApiSchemas } from '../openapi/openapi-schemas.js';

const JSON_TYPE = 'application/json';
const MERGE_PATCH_TYPE = 'application/merge-patch+json';
/** What Fastify sends for a serialised object; a pre-serialised body says so itself. */
const JSON_RESPONSE_TYPE = 'application/json; charset=utf-8';

/** Maps HTTP (RFC 9110 conditional requests) onto WorkflowStore calls; no storage logic lives here. */
@ApiTags('workflows')
@ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Writes only: a retried request with the same key is applied once.' })
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
  @ApiResponse({ status: 201, description: 'Created; ETag is the version, Location the URL', schema: openApiSchemas.workflow })
  async create(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Workflow> {
    requireMediaType(request, JSON_TYPE);
    const workflow = await this.stores.of(request).create(body as CreateInput, { operationId: operationIdFrom(request.headers['idempotency-key']) });
    reply.header('location', locationOf(workflow));
    return represent(reply, workflow);
  }

  @Get()
  @ApiOperation({ summary: 'List workflows, filtered by type and/or status, one page at a time' })
  @ApiResponse({ status: 200, schema: openApiSchemas.listPage })
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
  @ApiResponse({ status: 200, schema: openApiSchemas.workflow })
  async put(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Workflow | string> {
    requireMediaType(request, JSON_TYPE);
    const store = this.stores.of(request);
    const operationId = operationIdFrom(request.headers['idempotency-key']);
    const ifMatch = parseEntityTags(request.headers['if-match'], 'If-Match');
    const ifNoneMatch = parseEntityTags(request.headers['if-none-match'], 'If-None-Match');
    if (ifNoneMatch?.any) {
      const input = (body ?? {}) as SaveInput;
      const created = await store.create({ type: 'default', ...input, id } as CreateInput, { operationId });
      reply.status(201).header('location', locationOf(created));
      return represent(reply, created);
    }
    if (ifNoneMatch) await refuseIfNoneMatch(store, id, ifNoneMatch);
    const expectedVersion = await this.expectedVersionFor(store, id, ifMatch);
    // Answered with the state JSON just stored, not parsed back and re-encoded (see GET).
    const stored = await store.saveJson(id, body as SaveInput, { expectedVersion, operationId });
    if (!ifMatch && stored.workflow.version === 1) reply.status(201).header('location', locationOf(stored.workflow));
    reply.header('etag', etagOf(stored.workflow.version)).type(JSON_RESPONSE_TYPE);
    return workflowJsonText(stored);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Apply a JSON Merge Patch (application/merge-patch+json) atomically' })
  @ApiBody({ schema: openApiSchemas.patch })
  @ApiResponse({ status: 200, schema: openApiSchemas.workflow })
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
    const store = this.stores.of(request);
    const expectedVersion = await this.expectedVersionFor(store, id, parseEntityTags(request.headers['if-match'], 'If-Match'));
    const workflow = await store.update(id, body as WorkflowPatch, {
      expectedVersion,
      operationId: operationIdFrom(request.headers['idempotency-key']),
    });
    return represent(reply, workflow);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a workflow (If-Match supported)' })
  async remove(@Param('id') id: string, @Req() request: FastifyRequest): Promise<void> {
    const store = this.stores.of(request);
    const expectedVersion = await this.expectedVersionFor(store, id, parseEntityTags(request.headers['if-match'], 'If-Match'));
    await store.delete(id, { expectedVersion, operationId: operationIdFrom(request.headers['idempotency-key']) });
  }

  @Post(':id/touch')
  @HttpCode(200)
  @ApiOperation({ summary: 'Restart the TTL without changing state or version; body { ttlSeconds? } is optional' })
  @ApiResponse({ status: 200, schema: openApiSchemas.workflow })
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
    const workflow = await this.stores.of(request).touch(id, { ttlSeconds, operationId: operationIdFrom(request.headers['idempotency-key']) });
    return represent(reply, workflow);
  }

  /** The version a write must find, or undefined for an unconditional write (428 when REQUIRE_IF_MATCH is on). */
  private async expectedVersionFor(store: WorkflowStore, id: string, ifMatch: EntityTagCondition | undefined): Promise<number | undefined> {
    if (ifMatch) return matchedVersion(store, id, ifMatch);
    if (this.requireIfMatch) throw preconditionRequired();
    return undefined;
  }
}

function represent(reply: FastifyReply, workflow: Workflow): Workflow {
  reply.header('etag', etagOf(workflow.version));
  return workflow;
}

function locationOf(workflow: Pick<Workflow, 'id'>): string {
  return `/workflows/${encodeURIComponent(workflow.id)}`;
}

function preconditionRequired(): ProblemException {
  return new ProblemException('precondition-required', 'This service requires If-Match on writes to existing workflows (REQUIRE_IF_MATCH=true)');
}

/** One strong tag is used as is; `*` or a list needs the current version. */
async function matchedVersion(store: WorkflowStore, id: string, condition: EntityTagCondition): Promise<number> {
  if (!condition.any && condition.strong.length === 1 && condition.weak.length === 0) return condition.strong[0] as number;
  const current = await store.get(id);
  if (!current || !ifMatchAccepts(condition, current.version)) {
    throw new ProblemException('precondition-failed', `If-Match does not match workflow ${id}`, current ? { currentVersion: current.version } : {});
  }
  return current.version;
}

async function refuseIfNoneMatch(store: WorkflowStore, id: string, condition: EntityTagCondition): Promise<void> {
  const current = await store.get(id);
  if (current && ifNoneMatchHits(condition, current.version)) {
    throw new ProblemException('precondition-failed', `If-None-Match matches the current version of ${id}`, { currentVersion: current.version });
  }
}
