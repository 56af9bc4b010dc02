import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TenantStores } from '../auth/tenant-stores.js';
import { ApiEventStream } from '../openapi/event-stream.js';
import { eventStreamRequestFrom } from './event-stream-request.js';
import { EventStreams } from './event-streams.js';

/** The change feed of the caller's tenant as Server-Sent Events; reads, so a `read` key is enough. */
@ApiTags('events')
@Controller()
export class EventsController {
  constructor(
    private readonly stores: TenantStores,
    private readonly streams: EventStreams,
  ) {}

  @Get('events')
  @ApiOperation({ summary: "Stream every change to the tenant's workflows (Server-Sent Events), optionally only of a type and/or status" })
  @ApiQuery({ name: 'type', required: false, description: 'Only events whose workflow has this type (after the write)', schema: { type: 'string' } })
  @ApiQuery({ name: 'status', required: false, description: 'Only events whose workflow has this status (after the write)', schema: { type: 'string' } })
  @ApiEventStream()
  async all(@Query() query: Record<string, unknown>, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const wanted = eventStreamRequestFrom(query, request.headers['last-event-id'], ['type', 'status']);
    await this.streams.serve(request, reply, this.stores.of(request), wanted);
  }

  @Get('workflows/:id/events')
  @ApiOperation({
    summary: 'Stream the changes to one workflow (Server-Sent Events); the workflow need not exist yet: its creation is an event',
  })
  @ApiEventStream()
  async one(@Param('id') id: string, @Query() query: Record<string, unknown>, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const wanted = eventStreamRequestFrom(query, request.headers['last-event-id'], [], { id });
    await this.streams.serve(request, reply, this.stores.of(request), wanted);
  }
}
