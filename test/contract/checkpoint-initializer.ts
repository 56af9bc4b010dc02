import type { CheckpointSaverTestInitializer } from '@langchain/langgraph-checkpoint-validation';
import { createWorkflowStore, loadWorkflowStoreConfig, WorkflowCheckpointSaver, type WorkflowStore } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';

/**
 * LangGraph's conformance suite (@langchain/langgraph-checkpoint-validation) creates a checkpointer per group of
 * tests and expects each to see only its own threads: every checkpointer here gets a store of its own (a fresh key
 * prefix on Redis, a fresh memory store), closed when the suite destroys the checkpointer.
 */
export function checkpointerInitializer(name: string, env: () => Record<string, string>, options: { keepLast?: number } = {}): CheckpointSaverTestInitializer<WorkflowCheckpointSaver> {
  const stores = new WeakMap<WorkflowCheckpointSaver, WorkflowStore>();
  return {
    checkpointerName: name,
    async createCheckpointer() {
      const store = createWorkflowStore(loadWorkflowStoreConfig({ WORKFLOW_STATE_TTL: '600', ...env() }), quietLogger());
      await store.connect();
      const saver = new WorkflowCheckpointSaver(store, options);
      stores.set(saver, store);
      return saver;
    },
    async destroyCheckpointer(saver) {
      await stores.get(saver)?.close();
    },
  };
}

/** The suite's list tests use Vitest's `expect.soft`; under Jest it is the plain (stricter: it stops the test) `expect`. */
export function allowSoftExpect(): void {
  const jestExpect = expect as unknown as { soft?: unknown };
  jestExpect.soft ??= expect;
}
