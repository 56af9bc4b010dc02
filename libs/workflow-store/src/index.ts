export { WorkflowStore } from './workflow-store.js';
export type * from './workflow.types.js';
export type {
  WorkflowEvent,
  WorkflowEventOp,
  WorkflowEventsOptions,
  WatchFilter,
  WatchOptions,
  WatchMessage,
  WatchResetReason,
} from './events/workflow-event.js';
export { parseEventId, formatEventId, type EventPosition } from './events/event-id.js';
export { workflowJsonBytes, workflowJsonText, type StoredWorkflowBytes, type StoredWorkflowJson, type WorkflowMeta } from './workflow-json.js';
export * from './errors/index.js';
export {
  WORKFLOW_ID_PATTERN,
  LABEL_PATTERN,
  OPERATION_ID_PATTERN,
  DEFAULT_STATUS,
  DEFAULT_TENANT,
  TENANT_PATTERN,
  tenantSchema,
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  workflowIdSchema,
  createInputSchema,
  saveInputSchema,
  patchSchema,
  listQuerySchema,
} from './workflow.schema.js';
export { restoreRecordSchema } from './shared/restore-record.schema.js';
export { applyMergePatch } from './shared/merge-patch.js';
export { replayOf } from './shared/idempotency.js';
export type { StoreLogger } from './shared/store-logger.js';
export { ValidatingWorkflowStore } from './shared/validating-workflow-store.js';
export { createWorkflowStore } from './create-workflow-store.js';
export { loadWorkflowStoreConfig, workflowStoreEnvSchema, type WorkflowStoreEnv } from './config/workflow-store.config.js';
export type { WorkflowStoreOptions, RedisOptions, CommandBatching, LimitsOptions, PersistenceCheckMode } from './config/workflow-store.options.js';
export { NDJSON_FORMAT, NDJSON_FORMAT_VERSION, type NdjsonHeader } from './migration/ndjson-format.js';
export { openWorkflowFile, type WorkflowFile, type FileEntry } from './migration/workflow-file-reader.js';
export { exportChunks, type ExportOptions } from './migration/export-chunks.js';
export { restoreEntries, type RestoreEntriesOptions, type RestoreEntriesResult } from './migration/restore-entries.js';
export { formatSummary, type RestoreSummary, type RestoreFailure } from './migration/restore-summary.js';
export { upgradeStorage, type UpgradeRequest, type UpgradeHooks } from './migration/upgrade/upgrade-storage.js';
export { UpgradeRefusedError, type UpgradePlan, type TenantPlan } from './migration/upgrade/upgrade-plan.js';
export { formatUpgradeCounts, processedOf, type UpgradeSummary, type UpgradeCounts, type TenantUpgrade } from './migration/upgrade/upgrade-summary.js';
export type { UpgradeFailure } from './migration/upgrade/move-step.js';
export { MAX_SHARDS } from './redis/redis-keys.js';
export { WorkflowStoreModule } from './nest/workflow-store.module.js';
export { redactUrl } from './redis/redact-url.js';
export { createStoreClient, describeRedisTarget } from './redis/redis-client.factory.js';
export { runStep, type StepContext, type RunStepOptions } from './leases/run-step.js';
export { WorkflowCheckpointSaver, DEFAULT_THREAD_TYPE, type WorkflowCheckpointSaverOptions } from './checkpoints/workflow-checkpoint-saver.js';
export type { ThreadSummary, ThreadStatus } from './checkpoints/thread-summary.js';
export { traceRedisCommands, REDIS_TRACER_NAME, type RedisTracingOptions } from './tracing/redis-spans.js';
export { STORE_TRACER_NAME, TRACED_OPERATIONS } from './tracing/store-spans.js';
