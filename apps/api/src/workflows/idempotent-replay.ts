import type { ReplayInfo, WorkflowStore } from '#workflow-store';
import type { FastifyReply } from 'fastify';
import { etagOf } from './conditional-request.js';

/** Set (to `true`) on the answer to a write that repeated an earlier one with the same Idempotency-Key. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';
/** On a replay whose workflow was written since: the version stored now, newer than the ETag. */
export const CURRENT_VERSION_HEADER = 'Workflow-Current-Version';

const STATUS_OF: Record<ReplayInfo['outcome'], number> = { created: 201, written: 200, touched: 200, deleted: 204 };

/**
 * Answers a replayed write the way the original write was answered: its status (201 and Location when it created
 * the workflow, 204 for a delete), its ETag (the version it produced; a delete has none, as the original had none)
 * and `Idempotent-Replayed: true`. The body is the workflow as that write left it while the history keeps that
 * version, else as stored now. When it has been written since (`changedSince`), `Workflow-Current-Version` tells the
 * version stored now (absent when nothing exists now): see `currentVersionAfter`.
 */
export function answerReplay(reply: FastifyReply, replay: ReplayInfo, location: string, currentVersion: number | undefined): void {
  reply.status(STATUS_OF[replay.outcome]).header(REPLAYED_HEADER, 'true');
  if (replay.outcome === 'created') reply.header('location', location);
  if (replay.outcome !== 'deleted') reply.header('etag', etagOf(replay.version));
  if (replay.changedSince && currentVersion !== undefined) reply.header(CURRENT_VERSION_HEADER, String(currentVersion));
}

/**
 * The version stored now, for `Workflow-Current-Version` on a replay of a write that returns the workflow; undefined
 * when the workflow has not changed since. A body of another version than the one produced is the workflow as stored
 * now (the history no longer keeps the produced one); a body of the produced version (from the history) says nothing
 * about now, so it is read: one extra read, only on a replay after a later write.
 */
export async function currentVersionAfter(store: WorkflowStore, id: string, replay: ReplayInfo, bodyVersion: number): Promise<number | undefined> {
  if (!replay.changedSince) return undefined;
  if (bodyVersion !== replay.version) return bodyVersion;
  return (await store.getJsonBytes(id))?.workflow.version;
}
