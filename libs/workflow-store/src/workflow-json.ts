import type { JsonObject, Workflow } from './workflow.types.js';

/** A workflow without its state. */
export type WorkflowMeta = Omit<Workflow, 'state'>;

/**
 * A workflow whose state is the JSON text as the backend holds it, not parsed: for callers that only pass the
 * state on (an HTTP response), so a 32 KB state is neither parsed nor re-encoded on the way out.
 */
export interface StoredWorkflowJson {
  workflow: WorkflowMeta;
  stateJson: string;
}

/** The workflow with its state, members in the usual order (so its JSON reads the same as every other). */
export function withState(meta: WorkflowMeta, state: JsonObject): Workflow {
  return {
    id: meta.id,
    type: meta.type,
    status: meta.status,
    state,
    version: meta.version,
    createdAt: meta.createdAt,
    updatedAt: meta.updatedAt,
    expiresAt: meta.expiresAt,
    ttlSeconds: meta.ttlSeconds,
  };
}

/**
 * The JSON text of a workflow, byte for byte what `JSON.stringify(workflow)` gives for the parsed record (same
 * members, same order), with the stored state text inserted as it is.
 */
export function workflowJsonText({ workflow, stateJson }: StoredWorkflowJson): string {
  const { id, type, status, ...rest } = workflow;
  const head = JSON.stringify({ id, type, status });
  const tail = JSON.stringify(rest);
  return `${head.slice(0, -1)},"state":${stateJson},${tail.slice(1)}`;
}
