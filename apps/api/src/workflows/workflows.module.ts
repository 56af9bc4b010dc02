import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { WorkflowsController } from './workflows.controller.js';

@Module({ imports: [AuthModule], controllers: [WorkflowsController] })
export class WorkflowsModule {}
