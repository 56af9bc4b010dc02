import { Logger, Module } from '@nestjs/common';
import { loadWorkflowStoreConfig } from '../config/workflow-store.config.js';
import { createWorkflowStore } from '../create-workflow-store.js';
import { redactUrl } from '../redis/redact-url.js';
import type { StoreLogger } from '../shared/store-logger.js';
import { WorkflowStore } from '../workflow-store.js';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './workflow-store.module-definition.js';
import type { WorkflowStoreModuleOptions } from './workflow-store-module.options.js';
import { WorkflowStoreLifecycle } from './workflow-store.lifecycle.js';

function nestLogger(): StoreLogger {
  const logger = new Logger('WorkflowStore');
  return { log: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) };
}

/** Provides `WorkflowStore` (inject it by type), built from validated options; the backend is chosen by `USE_REDIS`. */
@Module({
  providers: [
    {
      provide: WorkflowStore,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (moduleOptions: WorkflowStoreModuleOptions): WorkflowStore => {
        const options = moduleOptions.options ?? loadWorkflowStoreConfig(moduleOptions.env ?? process.env);
        const logger = moduleOptions.logger ?? nestLogger();
        logger.log(
          options.backend === 'redis'
            ? `backend: redis at ${redactUrl(options.redis.url)} (prefix ${options.redis.keyPrefix})`
            : `backend: memory${options.memory.snapshotPath ? ` (snapshot ${options.memory.snapshotPath})` : ''}`,
        );
        return createWorkflowStore(options, logger);
      },
    },
    WorkflowStoreLifecycle,
  ],
  exports: [WorkflowStore],
})
export class WorkflowStoreModule extends ConfigurableModuleClass {}
