import type { WorkflowStoreOptions } from '../config/workflow-store.options.js';
import type { StoreLogger } from '../shared/store-logger.js';

/** Options of `WorkflowStoreModule.forRoot` / `forRootAsync`. */
export interface WorkflowStoreModuleOptions {
  /** Already validated options; when absent they are loaded (and validated) from `env`. */
  options?: WorkflowStoreOptions;
  /** Environment to read when `options` is absent; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Defaults to Nest's Logger with the `WorkflowStore` context. */
  logger?: StoreLogger;
}
