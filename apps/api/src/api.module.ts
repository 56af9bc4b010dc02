import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { WorkflowStoreModule } from '#workflow-store';
import { AdminModule } from './admin/admin.module.js';
import { EventsModule } from './events/events.module.js';
import { validateEnvironment, type Environment } from './config/environment.js';
import { HealthModule } from './health/health.module.js';
import { LeasesModule } from './leases/leases.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { ProblemDetailsFilter } from './problem/problem-details.filter.js';
import { WorkflowsModule } from './workflows/workflows.module.js';

@Module({
  imports: [
    // The whole environment is validated once here; every bad variable is named in one error.
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateEnvironment }),
    WorkflowStoreModule.forRootAsync({
      isGlobal: true,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => {
        const options = config.get('workflowStore', { infer: true });
        // A server's requests each arrive in their own callback: their Redis commands share a write per loop turn.
        return { options: { ...options, redis: { ...options.redis, commandBatching: 'event-loop-turn' as const } } };
      },
    }),
    WorkflowsModule,
    LeasesModule,
    EventsModule,
    HealthModule,
    MetricsModule,
    AdminModule,
  ],
  providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
})
export class ApiModule {}
