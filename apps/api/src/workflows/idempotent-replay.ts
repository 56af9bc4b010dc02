import type { ReplayInfo } from '#workflow-store';
import type { FastifyReply } from 'fastify';
import { etagOf } from './conditional-request.js';

/** Set (to `true`) on the answer to a write that repeated an earlier one with the same Idempotency-Key. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';
/** On a replay whose workflow was written since: the version the body is, newer than the ETag. */
export const CURRENT_VERSION_HEADER = 'Workflow-Current-Version';

const STATUS_OF: Record<ReplayInfo['outcome'], number> = { created: 201, written: 200, touched: 200, deleted: 204 };

/**
 * Answers a replayed write the way the original write was answered: its status (201 and Location when it created
 * the workflow, 204 for a delete), its ETag (the version it produced; a delete has none, as the original had none)
 * and `Idempotent-Replayed: true`. The body is the workflow as stored now; when it has been written since
 * (`changedSince`), `Workflow-Current-Version` tells the version of that body (absent when nothing exists now).
 */
export function answerReplay(reply: FastifyReply, replay: ReplayInfo, location: string, currentVersion: number | undefined): void {
  reply.status(STATUS_OF[replay.outcome]).header(REPLAYED_HEADER, 'true');
  if (replay.outcome === 'created') reply.header('location', location);
  if (replay.outcome !== 'deleted') reply.header('etag', etagOf(replay.version));
  if (replay.changedSince && currentVersion !== undefined) reply.header(CURRENT_VERSION_HEADER, String(currentVersion));
}
