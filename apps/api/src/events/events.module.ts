import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { HealthModule } from '../health/health.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { EventStreams } from './event-streams.js';
import { EventsController } from './events.controller.js';

@Module({ imports: [AuthModule, HealthModule, MetricsModule], controllers: [EventsController], providers: [EventStreams] })
export class EventsModule {}
