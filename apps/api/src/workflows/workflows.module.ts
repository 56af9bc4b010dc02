import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { WorkflowsController } from './workflows.controller.js';

@Module({ imports: [MetricsModule], controllers: [WorkflowsController] })
export class WorkflowsModule {}
