import { Readable } from 'node:stream';
import { Controller, Get, Req, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { exportChunks } from '#workflow-store';
import { TenantStores } from '../auth/tenant-stores.js';
import type { Environment } from '../config/environment.js';
import { ProblemException } from '../problem/problem.exception.js';

/** Streams the whole store as an export file, for `workflow-store migrate --from <url>` and backups. */
@ApiTags('admin')
@Controller('admin')
export class AdminExportController {
  private readonly enabled: boolean;

  constructor(
    private readonly stores: TenantStores,
    config: ConfigService<Environment, true>,
  ) {
    this.enabled = config.get('api', { infer: true }).adminRoutes;
  }

  @Get('export')
  @ApiOperation({
    summary: "Every live workflow of the caller's tenant as NDJSON: a header line, one workflow per line, an end line (ADMIN_ROUTES=true, admin key)",
  })
  @ApiProduces('application/x-ndjson')
  @ApiResponse({ status: 200, description: 'The export file, streamed. A body without its end line was cut short by a backend failure.' })
  @ApiResponse({ status: 403, description: 'Admin routes are off (ADMIN_ROUTES=false)' })
  async export(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!this.enabled) throw new ProblemException('forbidden', 'Admin routes are off; start the service with ADMIN_ROUTES=true to serve /admin/export');
    // The caller's tenant only, named on every line so an import puts it back under the same tenant.
    const chunks = exportChunks(this.stores.of(request), { tenant: request.principal?.tenant });
    // The header needs the backend, so an outage is still a 503 problem here, before any byte is sent.
    const header = await chunks.next();
    reply
      .type('application/x-ndjson; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(Readable.from(prepend(header, chunks), { objectMode: false }));
  }
}

async function* prepend(first: IteratorResult<string, void>, rest: AsyncGenerator<string, void, undefined>): AsyncGenerator<string, void, undefined> {
  if (!first.done) yield first.value;
  yield* rest;
}
