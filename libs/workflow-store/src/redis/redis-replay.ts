import { changedSince, outcomeOf } from '../shared/idempotency.js';
import type { StoredReplay } from '../shared/storage-backend.js';
import { createdMsOfRecord, storedWorkflowFromRecord } from './redis-codec.js';

/** The `{ 2, outcome, version, record or false, created[, produced] }` reply of a write that repeats an earlier one. */
export function replayFrom(id: string, reply: unknown[]): StoredReplay {
  const record = reply[3];
  const replay = replayOfRecord(id, String(reply[1]), reply[2], reply[4], typeof record === 'string' ? record : null);
  const produced = typeof reply[5] === 'string' ? storedWorkflowFromRecord(id, reply[5]) : null;
  return produced ? { ...replay, produced } : replay;
}

/** A remembered key's outcome, version and creation time against the record stored now. */
export function replayOfRecord(id: string, outcomeCode: string, version: unknown, created: unknown, record: string | null): StoredReplay {
  const outcome = outcomeOf(outcomeCode);
  const current = storedWorkflowFromRecord(id, record);
  const now = current && record !== null ? { version: current.workflow.version, createdMs: createdMsOfRecord(record) } : null;
  return { outcome, version: Number(version), current, changedSince: changedSince(outcome, Number(version), Number(created), now) };
}
