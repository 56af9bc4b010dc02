import type { RunnableConfig } from '@langchain/core/runnables';
import type { ChannelVersions, Checkpoint, CheckpointMetadata, PendingWrite } from '@langchain/langgraph-checkpoint';
import type { Redis } from 'ioredis';
import { WorkflowCheckpointSaver, type WorkflowCheckpointSaverOptions, type WorkflowStore } from '#workflow-store';

/** A saver that runs `check` after each of its writes (the thread, a label of the write) and keeps what it found. */
export class CheckedSaver extends WorkflowCheckpointSaver {
  readonly problems: string[] = [];
  /** Every write checked: its thread and label ("put (step 2)", "putWrites (__interrupt__)"). */
  readonly checked: { thread: string; label: string }[] = [];

  constructor(
    store: WorkflowStore,
    options: WorkflowCheckpointSaverOptions,
    private readonly check: (thread: string, label: string) => Promise<string[]>,
  ) {
    super(store, options);
  }

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    const stored = await super.put(config, checkpoint, metadata, newVersions);
    await this.after(config, `put (step ${metadata.step})`);
    return stored;
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    await super.putWrites(config, writes, taskId, taskPath);
    await this.after(config, `putWrites (${writes.map(([channel]) => channel).join(', ')})`);
  }

  /** The labels of the writes checked, of one thread or of all. */
  labels(thread?: string): string[] {
    return this.checked.filter((c) => thread === undefined || c.thread === thread).map((c) => c.label);
  }

  private async after(config: RunnableConfig, label: string): Promise<void> {
    const thread = config.configurable?.thread_id as string;
    this.checked.push({ thread, label });
    this.problems.push(...(await this.check(thread, label)));
  }
}

/** Keys under `prefix` that name `thread` (its record, history, checkpoints, anything else), found with SCAN. */
export async function keysOfThread(client: Redis, prefix: string, thread: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys.filter((key) => key.endsWith(`:${thread}`) || key.includes(`:${thread}:`)));
  } while (cursor !== '0');
  return found.sort();
}
