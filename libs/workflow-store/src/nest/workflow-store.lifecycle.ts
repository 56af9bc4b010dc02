import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ValidatingWorkflowStore } from '../shared/validating-workflow-store.js';
import { WorkflowStore } from '../workflow-store.js';

/**
 * Connects the store before the application starts (Redis: ready and checked, or boot fails with the cause —
 * never a fall back to memory, which would split replicas' state) and closes it after the HTTP server has
 * drained (onApplicationShutdown runs after in-flight requests finished).
 */
@Injectable()
export class WorkflowStoreLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('WorkflowStore');

  constructor(@Inject(WorkflowStore) private readonly store: WorkflowStore) {}

  async onModuleInit(): Promise<void> {
    if (this.store instanceof ValidatingWorkflowStore) await this.store.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    this.logger.log('store closed');
  }
}
