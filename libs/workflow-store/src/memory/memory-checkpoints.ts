import type { CheckpointPage, CheckpointPut, CheckpointStorage, StoredCheckpoint, WritesPut } from '../checkpoints/checkpoint-storage.js';
import { NotFoundError } from '../errors/not-found.error.js';
import type { MemoryStorageBackend } from './memory-storage.backend.js';

/** Checkpoints of LangGraph threads in memory: each thread's hang on its workflow's entry (memory-thread.ts). */
export class MemoryCheckpoints implements CheckpointStorage {
  constructor(private readonly backend: MemoryStorageBackend) {}

  async put(input: CheckpointPut): Promise<void> {
    this.backend.saveThread(input.thread, input.write, (thread) => thread.put(input));
  }

  async putWrites(input: WritesPut): Promise<void> {
    const apply = (thread: { putWrites: (ns: string, id: string, taskId: string, writes: WritesPut['writes']) => number }): void =>
      void thread.putWrites(input.ns, input.id, input.taskId, input.writes);
    if (input.write) {
      this.backend.saveThread(input.thread, input.write, apply);
      return;
    }
    const thread = this.backend.threadOf(input.thread, true);
    if (!thread) throw new NotFoundError(input.thread);
    apply(thread);
  }

  async read(thread: string, ns: string, id: string | undefined): Promise<StoredCheckpoint | undefined> {
    return this.backend.threadOf(thread, false)?.read(ns, id);
  }

  async page(thread: string, ns: string | undefined, before: string | undefined, cursor: string | null, limit: number): Promise<CheckpointPage> {
    return this.backend.threadOf(thread, false)?.page(ns, before, cursor, limit) ?? { items: [], next: null };
  }
}
