import NodeCache from 'node-cache';
import { IdempotencyKeyReusedError } from '../errors/idempotency-key-reused.error.js';
import { changedSince, outcomeOf, type Idempotency, type OutcomeCode } from '../shared/idempotency.js';
import type { StoredReplay } from '../shared/storage-backend.js';
import type { Workflow } from '../workflow.types.js';

/** A remembered idempotency key, as the Redis scripts keep it: fingerprint, outcome, the workflow it left, until when. */
interface RememberedKey {
  fingerprint: string;
  outcome: OutcomeCode;
  version: number;
  createdMs: number;
  untilMs: number;
}

/** The workflow stored now for an id and its kept versions, as the backend sees it. */
export interface StoredEntry {
  workflow: Workflow;
  history: Workflow[];
}

/**
 * The memory backend's remembered idempotency keys of one tenant, by `id NUL key`, each for the window or until its
 * workflow expires, whichever is first (exactly the Redis scripts' rule); a delete's key outlives the workflow
 * until it would have expired.
 */
export class MemoryIdempotency {
  // useClones off: entries are never handed out, only read here.
  private readonly keys = new NodeCache({ useClones: false, stdTTL: 0, checkperiod: 60 });

  constructor(private readonly windowMs: number) {}

  /**
   * The earlier write with this key, when the request is the same, answered with the workflow as that write left it
   * while the history holds that version of this life (like the scripts), else as stored now;
   * `IdempotencyKeyReusedError` when the key was used for another request.
   */
  replayOf(id: string, idempotency: Idempotency | undefined, current: StoredEntry | undefined): StoredReplay | undefined {
    if (!idempotency) return undefined;
    const remembered = this.keys.get<RememberedKey>(`${id}\u0000${idempotency.key}`);
    if (!remembered || remembered.untilMs <= Date.now()) return undefined;
    if (remembered.fingerprint !== idempotency.fingerprint) throw new IdempotencyKeyReusedError(id, idempotency.key);
    const outcome = outcomeOf(remembered.outcome);
    const now = current ? { version: current.workflow.version, createdMs: Date.parse(current.workflow.createdAt) } : null;
    const replay: StoredReplay = {
      outcome,
      version: remembered.version,
      current: current ? jsonOf(current.workflow) : null,
      changedSince: changedSince(outcome, remembered.version, remembered.createdMs, now),
    };
    const produced = outcome === 'deleted' ? undefined : current?.history.find((kept) => kept.version === remembered.version);
    if (!produced || Date.parse(produced.createdAt) !== remembered.createdMs) return replay;
    return { ...replay, produced: jsonOf(produced) };
  }

  /** `left`: the workflow the write left (for a delete: the one it deleted). */
  remember(id: string, idempotency: Idempotency | undefined, outcome: OutcomeCode, left: Workflow, lifeEndMs: number): void {
    if (!idempotency) return;
    const now = Date.now();
    const untilMs = Math.min(now + this.windowMs, lifeEndMs);
    if (untilMs <= now) return;
    const remembered: RememberedKey = { fingerprint: idempotency.fingerprint, outcome, version: left.version, createdMs: Date.parse(left.createdAt), untilMs };
    this.keys.set(`${id}\u0000${idempotency.key}`, remembered, (untilMs - now) / 1000);
  }

  close(): void {
    this.keys.close();
  }
}

function jsonOf(workflow: Workflow): NonNullable<StoredReplay['current']> {
  const { state, ...meta } = workflow;
  return { workflow: meta, stateJson: JSON.stringify(state) };
}
