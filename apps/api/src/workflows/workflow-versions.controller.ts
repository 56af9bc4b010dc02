import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError, type Workflow, type WorkflowHistory } from '#workflow-store';
import { TenantStores } from '../auth/tenant-stores.js';
import { ApiProblems, READ_PROBLEMS } from '../openapi/problem-responses.js';
import { openApiSchemas } from '../openapi/openapi-schemas.js';
import { ProblemException } from '../problem/problem.exception.js';
import { etagOf, ifNoneMatchHits, parseEntityTags } from './conditional-request.js';

/** Digits only: "1.5", "-1", "1e3" or " 2" are refused here, the store refuses 0 (at least 1). */
const VERSION_PARAM = /^\d{1,15}$/;

/** The kept versions of a workflow (WORKFLOW_HISTORY_VERSIONS): the list, and each one as it was. */
@ApiTags('workflows')
@Controller('workflows')
export class WorkflowVersionsController {
  constructor(private readonly stores: TenantStores) {}

  @Get(':id/versions')
  @ApiOperation({
    summary: 'The versions kept of a workflow, newest first: the current one and up to WORKFLOW_HISTORY_VERSIONS earlier ones (no state)',
  })
  @ApiResponse({ status: 200, schema: openApiSchemas.workflowHistory })
  @ApiProblems([400, 'invalid-input: a malformed id'], [404, 'not-found: no such workflow (or it expired, or was deleted: its history goes with it)'], ...READ_PROBLEMS)
  async history(@Param('id') id: string, @Req() request: FastifyRequest): Promise<WorkflowHistory> {
    const history = await this.stores.of(request).history(id);
    if (!history) throw new NotFoundError(id);
    return history;
  }

  @Get(':id/versions/:version')
  @ApiOperation({ summary: 'The workflow as it was at a kept version (its state, labels and times then); 304 when If-None-Match matches' })
  @ApiParam({ name: 'version', description: 'A version number, at least 1', schema: { type: 'integer', minimum: 1 } })
  @ApiResponse({
    status: 200,
    schema: openApiSchemas.workflow,
    headers: { ETag: { description: 'The version, as a strong entity tag (as GET /workflows/{id} tags it)', schema: { type: 'string' } } },
  })
  @ApiProblems(
    [400, 'invalid-input: a malformed id, or a version that is not a whole number of at least 1'],
    [404, 'not-found: no such workflow; version-not-kept: the workflow exists but not that version (the body has oldestVersion and currentVersion)'],
    ...READ_PROBLEMS,
  )
  async version(
    @Param('id') id: string,
    @Param('version') version: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Workflow | undefined> {
    if (!VERSION_PARAM.test(version)) throw new ProblemException('invalid-input', 'version must be a whole number of at least 1');
    const workflow = await this.stores.of(request).getVersion(id, Number(version));
    if (!workflow) throw new NotFoundError(id);
    reply.header('etag', etagOf(workflow.version));
    const ifNoneMatch = parseEntityTags(request.headers['if-none-match'], 'If-None-Match');
    if (ifNoneMatch && ifNoneMatchHits(ifNoneMatch, workflow.version)) {
      reply.status(304);
      return undefined;
    }
    return workflow;
  }
}
