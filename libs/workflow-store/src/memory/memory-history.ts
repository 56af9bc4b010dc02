import type { Workflow } from '../workflow.types.js';
import type { WorkflowMeta } from '../workflow-json.js';

/** A workflow's fields without its state (what a history listing shows). */
export function metaOf(workflow: Workflow): WorkflowMeta {
  const { state: _state, ...meta } = workflow;
  return meta;
}
