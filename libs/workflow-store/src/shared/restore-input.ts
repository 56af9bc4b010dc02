import type { LimitsOptions } from '../config/workflow-store.options.js';
import { InvalidInputError } from '../errors/invalid-input.error.js';
import type { Workflow, WorkflowWithHistory } from '../workflow.types.js';
import { restoreRecordSchema } from './restore-record.schema.js';
import { serializeState } from './state-json.js';
import type { KeptRecord } from './storage-backend.js';
import { checkTtl } from './ttl-policy.js';
import { validate } from './validate.js';

/** Clock difference tolerated between the exporting machine and this one when bounding a restored expiresAt. */
const RESTORE_CLOCK_SLACK_MS = 60_000;

/** A record `restore` may write: valid, and not living longer than any workflow could (its index keys would too). */
export function restorableRecord(record: Workflow, path: string, limits: LimitsOptions): Workflow {
  const data = validate(restoreRecordSchema, record, path) as Workflow;
  checkTtl(data.ttlSeconds, limits, 'ttlSeconds');
  const latest = Date.now() + limits.maxTtlSeconds * 1000 + RESTORE_CLOCK_SLACK_MS;
  if (Date.parse(data.expiresAt) > latest) {
    throw new InvalidInputError([{ path: 'expiresAt', message: `must be at most WORKFLOW_MAX_TTL (${limits.maxTtlSeconds} s) from now` }]);
  }
  return data;
}

/** The earlier versions given with a restored workflow, each valid and an earlier version of the same id. */
export function keptRecordsOf(entry: WorkflowWithHistory, restored: Workflow, limits: LimitsOptions): KeptRecord[] {
  return (Array.isArray(entry.history) ? entry.history : []).map((kept, index) => {
    const earlier = validate(restoreRecordSchema, kept, `history.${index}`) as Workflow;
    if (earlier.id !== restored.id || earlier.version >= restored.version) {
      throw new InvalidInputError([{ path: `history.${index}`, message: `must be an earlier version of ${restored.id} (below ${restored.version})` }]);
    }
    return { workflow: earlier, stateJson: serializeState(earlier.state, limits.maxStateBytes) };
  });
}
