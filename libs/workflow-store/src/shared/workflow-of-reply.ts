import { NotFoundError } from '../errors/not-found.error.js';
import { withState, type StoredWorkflowJson } from '../workflow-json.js';
import type { JsonObject, ReplayInfo, Workflow } from '../workflow.types.js';
import { markReplay } from './idempotency.js';
import type { StoredReplay, WriteReply } from './storage-backend.js';

/**
 * The workflow a write produced. Its state is a private copy: the backend's, `ownedState` (built by the store
 * and referenced by no caller), or parsed from the JSON the backend returned. A replay answers with the workflow
 * as stored now, marked with what the original write did (`replayOf`).
 */
export function workflowOfReply(id: string, reply: WriteReply, ownedState?: JsonObject): Workflow {
  if (reply.kind === 'applied') return reply.workflow;
  if (reply.kind === 'applied-json') return withState(reply.workflow, ownedState ?? (JSON.parse(reply.stateJson) as JsonObject));
  const answer = reply.replay.produced ?? replayedOrGone(id, reply.replay);
  const workflow = withState(answer.workflow, JSON.parse(answer.stateJson) as JsonObject);
  return markReplay(workflow, replayInfo(reply.replay));
}

/** A replayed write's workflow as stored now; `NotFoundError` when it has been deleted or expired since. */
export function replayedOrGone(id: string, replay: StoredReplay): StoredWorkflowJson {
  if (replay.current) return replay.current;
  throw new NotFoundError(id, `the write with this idempotency key was applied earlier (version ${replay.version}), but workflow ${id} no longer exists`);
}

export function replayInfo(replay: StoredReplay): ReplayInfo {
  return { outcome: replay.outcome, version: replay.version, changedSince: replay.changedSince };
}
