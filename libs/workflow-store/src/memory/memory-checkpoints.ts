import type { CheckpointPage, CheckpointPut, CheckpointStorage, StoredCheckpoint, WritesPut } from '../checkpoints/checkpoint-storage.js';
import { NotFoundError } from '../errors/not-found.error.js';
import type { MemoryStorageBackend } from './memory-storage.backend.js';

/** Checkpoints of LangGraph threads in memory: each thread's hang on its workflow's entry (memory-thread.ts). */
export class MemoryCheckpoints implements CheckpointStorage {
  constructor(private readonly backend: MemoryStorageBackend) {}

  async put(input: CheckpointPut): Promise<void> {
    this.backend.saveThread(input.thread, input.write, (thread) => {
      thread.put(input);
      return input.ns === '' ? thread.rootVerdict(input.id, false) : undefined;
    });
  }

  async putWrites(input: WritesPut): Promise<void> {
    if (input.write) {
      // Only an interrupt of the root namespace writes the workflow with its writes (see the saver).
      this.backend.saveThread(input.thread, input.write, (thread) => {
        thread.putWrites(input.ns, input.id, input.taskId, input.writes);
        return input.ns === '' ? thread.rootVerdict(input.id, true) : undefined;
      });
      return;
    }
    const thread = this.backend.threadOf(input.thread, true);
    if (!thread) throw new NotFoundError(input.thread);
    thread.putWrites(input.ns, input.id, input.taskId, input.writes);
  }

  async read(thread: string, ns: string, id: string | undefined): Promise<StoredCheckpoint | undefined> {
    return this.backend.threadOf(thread, false)?.read(ns, id);
  }

  async page(thread: string, ns: string | undefined, before: string | undefined, cursor: string | null, limit: number): Promise<CheckpointPage> {
    return this.backend.threadOf(thread, false)?.page(ns, before, cursor, limit) ?? { items: [], next: null };
  }
}
