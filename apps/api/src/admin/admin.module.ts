import { Module } from '@nestjs/common';
import { AdminExportController } from './admin-export.controller.js';

@Module({ controllers: [AdminExportController] })
export class AdminModule {}
