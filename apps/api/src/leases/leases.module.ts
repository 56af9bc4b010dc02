import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { LeasesController } from './leases.controller.js';

@Module({ imports: [AuthModule], controllers: [LeasesController] })
export class LeasesModule {}
