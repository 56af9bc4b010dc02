import { randomUUID } from 'node:crypto';
import type { RunnableConfig } from '@langchain/core/runnables';
import { uuid6, type BaseCheckpointSaver, type ChannelVersions, type Checkpoint, type CheckpointMetadata, type PendingWrite } from '@langchain/langgraph-checkpoint';

/** A chat message as a graph's `messages` channel holds it (plain objects, not LangChain message classes). */
interface ChatMessage {
  type: 'human' | 'ai' | 'tool';
  id: string;
  content: string;
  name?: string;
  tool_call_id?: string;
  tool_calls?: { id: string; name: string; args: Record<string, unknown> }[];
}

/** The task path LangGraph passes for a pull task of node `agent` (`taskPathStr([PULL, 'agent'])`). */
const TASK_PATH = '~__pregel_pull, agent';

function message(n: number): ChatMessage {
  const id = `msg-${String(n).padStart(4, '0')}-6c1f0b7e-2f3a-4c8e-9d41`;
  const text = (seed: string): string => `${seed} ${'the invoice total and the vendor address from the uploaded scan '.repeat(2)}`.slice(0, 150);
  switch (n % 3) {
    case 0:
      return { type: 'human', id, content: text(`Question ${n}: please extract`) };
    case 1:
      return { type: 'ai', id, content: '', tool_calls: [{ id: `call-${n}`, name: 'extract_fields', args: { page: n, fields: ['total', 'vendor'] } }] };
    default:
      return { type: 'tool', id, name: 'extract_fields', tool_call_id: `call-${n - 1}`, content: text(`Result ${n}: total 1234.56 EUR,`) };
  }
}

/** The `messages` value every checkpoint carries: 10 messages, about 2 KB of JSON. */
export const MESSAGES: readonly ChatMessage[] = Array.from({ length: 10 }, (_, n) => message(n));
/** A write of the `agent` task: one more message. */
const NEW_MESSAGE = message(10);

/**
 * Channels whose value changes every step (new versions), and the ones written once at the thread's first step.
 * `__start__` and `branch:to:agent` have versions but no value (LangGraph clears them after their step).
 */
const CHANGING = ['messages', 'step_count', 'branch:to:agent'] as const;
const STATIC = ['__start__', 'user_id', 'summary'] as const;

/**
 * One graph thread as LangGraph's loop drives it: each `put` is the next step's checkpoint, parented on the thread's
 * latest one; the first step writes every channel, later ones the channels that changed. Versions are integers, as
 * `BaseCheckpointSaver.getNextVersion` makes them (none of the three savers measured overrides it).
 */
export class GraphThread {
  private step = 0;
  /** The config `put` returned for the thread's latest checkpoint (its checkpoint_id), undefined before the first. */
  latest: RunnableConfig | undefined;

  constructor(readonly threadId: string) {}

  /** The arguments of the thread's next `put`, as LangGraph's `_putCheckpoint` passes them. */
  nextPut(): [RunnableConfig, Checkpoint, CheckpointMetadata, ChannelVersions] {
    const step = this.step++;
    const v = step + 2; // every channel starts at 1 (the input step); each loop step bumps the changing ones
    const channelVersions: ChannelVersions = { __start__: 1, user_id: 1, summary: 1, messages: v, step_count: v, 'branch:to:agent': v };
    const checkpoint: Checkpoint = {
      v: 4,
      id: uuid6(step),
      ts: new Date().toISOString(),
      channel_values: {
        user_id: 'user-4242',
        summary: 'Invoice extraction for vendor ACME, 3 pages.',
        messages: MESSAGES,
        step_count: step,
      },
      channel_versions: channelVersions,
      versions_seen: {
        __input__: {},
        __start__: { __start__: 1 },
        agent: { messages: v - 1, 'branch:to:agent': v - 1 },
        tools: { messages: v - 1 },
      },
    };
    const changed = step === 0 ? [...STATIC, ...CHANGING] : CHANGING;
    const newVersions: ChannelVersions = Object.fromEntries(changed.map((c) => [c, channelVersions[c] as number]));
    const parentId = this.latest?.configurable?.checkpoint_id as string | undefined;
    const config: RunnableConfig = { configurable: { thread_id: this.threadId, checkpoint_ns: '', ...(parentId ? { checkpoint_id: parentId } : {}) } };
    return [config, checkpoint, { source: 'loop', step, parents: {} }, newVersions];
  }

  /** `put` the next step and remember its config as the thread's latest. */
  async put(saver: BaseCheckpointSaver): Promise<void> {
    this.latest = await saver.put(...this.nextPut());
  }

  /** The arguments of one task's `putWrites` on the latest checkpoint: 3 writes, a fresh task id. */
  nextWrites(): [RunnableConfig, PendingWrite[], string, string] {
    if (!this.latest) throw new Error(`thread ${this.threadId} has no checkpoint to write to`);
    const writes: PendingWrite[] = [
      ['messages', [NEW_MESSAGE]],
      ['step_count', this.step],
      ['branch:to:agent', null],
    ];
    return [{ configurable: { ...this.latest.configurable, checkpoint_ns: '' } }, writes, randomUUID(), TASK_PATH];
  }

  putWrites(saver: BaseCheckpointSaver): Promise<void> {
    return saver.putWrites(...this.nextWrites());
  }

  /** `getTuple` of the thread's latest checkpoint (no checkpoint_id), as a graph's `getState` or a resumed run asks. */
  static latestConfig(threadId: string): RunnableConfig {
    return { configurable: { thread_id: threadId, checkpoint_ns: '' } };
  }
}

/** `count` threads with fresh ids (36-character UUIDs), prefixed so each saver's set is its own. */
export function makeThreads(prefix: string, count: number): GraphThread[] {
  return Array.from({ length: count }, () => new GraphThread(`${prefix}-${randomUUID()}`));
}

/** Bytes of the JSON of one checkpoint's values, of its whole checkpoint and of one task's writes. */
export function payloadSizes(): { messages: number; checkpoint: number; writes: number } {
  const thread = new GraphThread('size');
  const [, checkpoint] = thread.nextPut();
  thread.latest = { configurable: { thread_id: 'size', checkpoint_id: checkpoint.id } };
  const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');
  return { messages: bytes(MESSAGES), checkpoint: bytes(checkpoint), writes: bytes(thread.nextWrites()[1]) };
}
