import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { TenantStores } from './tenant-stores.js';

@Module({ imports: [MetricsModule], providers: [TenantStores], exports: [TenantStores] })
export class AuthModule {}
