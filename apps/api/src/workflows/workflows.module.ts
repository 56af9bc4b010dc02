import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { WorkflowVersionsController } from './workflow-versions.controller.js';
import { WorkflowsController } from './workflows.controller.js';

@Module({ imports: [AuthModule], controllers: [WorkflowsController, WorkflowVersionsController] })
export class WorkflowsModule {}
