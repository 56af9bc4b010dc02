import { Readable } from 'node:stream';
import { Controller, Get, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { exportChunks, WorkflowStore } from '#workflow-store';
import type { Environment } from '../config/environment.js';
import { ProblemException } from '../problem/problem.exception.js';

/** Streams the whole store as an export file, for `workflow-store migrate --from <url>` and backups. */
@ApiTags('admin')
@Controller('admin')
export class AdminExportController {
  private readonly enabled: boolean;

  constructor(
    private readonly store: WorkflowStore,
    config: ConfigService<Environment, true>,
  ) {
    this.enabled = config.get('api', { infer: true }).adminRoutes;
  }

  @Get('export')
  @ApiOperation({ summary: 'Every live workflow as NDJSON: a header line, one workflow per line, an end line (ADMIN_ROUTES=true only)' })
  @ApiProduces('application/x-ndjson')
  @ApiResponse({ status: 200, description: 'The export file, streamed. A body without its end line was cut short by a backend failure.' })
  @ApiResponse({ status: 403, description: 'Admin routes are off (ADMIN_ROUTES=false)' })
  async export(@Res() reply: FastifyReply): Promise<void> {
    if (!this.enabled) throw new ProblemException('forbidden', 'Admin routes are off; start the service with ADMIN_ROUTES=true to serve /admin/export');
    const chunks = exportChunks(this.store);
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
