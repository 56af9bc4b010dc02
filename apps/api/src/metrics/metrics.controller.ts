import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { WorkflowStore } from '#workflow-store';
import { MetricsRegistry } from './metrics.registry.js';

/** Prometheus scrape endpoint; refreshes the backend-up gauge with a ping (bounded by the command timeout). */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly store: WorkflowStore,
  ) {}

  @Get()
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    try {
      await this.store.ping();
      this.metrics.backendUp.set(1);
    } catch {
      this.metrics.backendUp.set(0);
    }
    void reply.header('content-type', this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
