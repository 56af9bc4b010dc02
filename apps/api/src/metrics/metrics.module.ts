import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { MetricsRegistry } from './metrics.registry.js';
import { StoreMetrics } from './store-metrics.js';

@Module({
  controllers: [MetricsController],
  providers: [{ provide: MetricsRegistry, useFactory: () => new MetricsRegistry() }, StoreMetrics],
  exports: [MetricsRegistry, StoreMetrics],
})
export class MetricsModule {}
