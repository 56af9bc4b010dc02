import { compareChannelVersions, TASKS, type Checkpoint, type CheckpointMetadata } from '@langchain/langgraph-checkpoint';

/** What a thread's workflow holds: its latest root checkpoint, summarised for lists, the feed and the board. */
export interface ThreadSummary {
  checkpointId: string;
  /** The superstep (`metadata.step`): -1 for the input checkpoint. */
  step: number | null;
  /** The nodes the checkpoint has triggered but not yet run (the graph's next step). */
  next: string[];
  /** `metadata.source`: input, loop, update or fork. */
  source: string | null;
  /** The checkpoint's own time (`checkpoint.ts`). */
  updatedAt: string;
}

/**
 * The workflow status of a thread: `running` while nodes are due, `done` when none is, `interrupted` from an
 * interrupt's write until a root checkpoint newer than the interrupted one is put (LangGraph may put the checkpoints
 * before the interrupted one after the interrupt's write: they keep it interrupted).
 */
export type ThreadStatus = 'running' | 'done' | 'interrupted';

/** LangGraph triggers node N by writing its channel "branch:to:N" (the graph's start: "__start__"). */
const TRIGGER = 'branch:to:';
const START = '__start__';

/**
 * The nodes due at this checkpoint, as LangGraph's next step would run them: a node whose trigger channel holds a
 * value of a version it has not seen (a consumed trigger keeps its version but loses its value), and the target of
 * every pending `Send` (the TASKS channel).
 */
function dueNodes(checkpoint: Checkpoint): string[] {
  const values = checkpoint.channel_values as Record<string, unknown>;
  const due = new Set<string>();
  for (const [channel, version] of Object.entries(checkpoint.channel_versions)) {
    const node = channel === START ? START : channel.startsWith(TRIGGER) ? channel.slice(TRIGGER.length) : undefined;
    if (node === undefined || values[channel] === undefined) continue;
    const seen = checkpoint.versions_seen[node]?.[channel];
    if (seen === undefined || compareChannelVersions(version, seen) > 0) due.add(node);
  }
  const sends = values[TASKS];
  if (Array.isArray(sends)) {
    for (const send of sends as unknown[]) {
      const node = (send as { node?: unknown } | null)?.node;
      if (typeof node === 'string') due.add(node);
    }
  }
  return [...due];
}

export function summaryOf(checkpoint: Checkpoint, metadata: CheckpointMetadata): ThreadSummary {
  const next = dueNodes(checkpoint);
  next.sort();
  return {
    checkpointId: checkpoint.id,
    step: typeof metadata.step === 'number' ? metadata.step : null,
    next,
    source: typeof metadata.source === 'string' ? metadata.source : null,
    updatedAt: checkpoint.ts,
  };
}

export function statusOf(summary: ThreadSummary): ThreadStatus {
  return summary.next.length > 0 ? 'running' : 'done';
}
