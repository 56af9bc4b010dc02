import { compareChannelVersions, type Checkpoint, type CheckpointMetadata } from '@langchain/langgraph-checkpoint';

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

/** The workflow status of a thread: `running` while nodes are due, `done` when none is, `interrupted` (set by an interrupt's write). */
export type ThreadStatus = 'running' | 'done' | 'interrupted';

/** LangGraph triggers node N by writing its channel "branch:to:N"; N is due while it has not seen that version. */
const TRIGGER = 'branch:to:';

export function summaryOf(checkpoint: Checkpoint, metadata: CheckpointMetadata): ThreadSummary {
  const next: string[] = [];
  for (const [channel, version] of Object.entries(checkpoint.channel_versions)) {
    if (!channel.startsWith(TRIGGER)) continue;
    const node = channel.slice(TRIGGER.length);
    const seen = checkpoint.versions_seen[node]?.[channel];
    if (seen === undefined || compareChannelVersions(version, seen) > 0) next.push(node);
  }
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
