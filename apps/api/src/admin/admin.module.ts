import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { AdminExportController } from './admin-export.controller.js';

@Module({ imports: [AuthModule], controllers: [AdminExportController] })
export class AdminModule {}
