import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { ShutdownState } from './shutdown-state.js';
import { WorkflowStoreHealth } from './workflow-store.health.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [ShutdownState, WorkflowStoreHealth],
  exports: [ShutdownState],
})
export class HealthModule {}
