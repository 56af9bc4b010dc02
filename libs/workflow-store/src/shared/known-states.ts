import type { CachedState, StateCache } from './state-cache.js';
import type { StampedWorkflowJson, WriteReply } from './storage-backend.js';

/**
 * One store's (tenant view's) window on the process's state cache: what it read and wrote, keyed by tenant and id.
 * Every write goes through `write` (kept on success, forgotten on a replay or a failure, whose outcome may be
 * unknown); deletes and restores `forget`. A disabled cache (WORKFLOW_STATE_CACHE_BYTES=0) makes all of it a no-op.
 */
export class KnownStates {
  constructor(
    private readonly cache: StateCache | undefined,
    /** '' for the default tenant, so its keys are the bare ids. */
    private readonly prefix: string,
  ) {}

  get enabled(): boolean {
    return this.cache !== undefined;
  }

  get(id: string): CachedState | undefined {
    return this.cache?.get(this.prefix + id);
  }

  /** A read's result: kept, or forgotten when the workflow is absent. */
  read(id: string, stored: StampedWorkflowJson | null): void {
    if (!this.cache) return;
    if (stored) this.cache.set(this.prefix + id, stored.workflow, stored.stateJson, stored.stamp);
    else this.forget(id);
  }

  /** A write of `stateJson` in flight: its applied state is kept, anything else forgets the id. */
  async write<T extends WriteReply>(id: string, write: Promise<T>, stateJson: string): Promise<T> {
    if (!this.cache) return write;
    let reply: T;
    try {
      reply = await write;
    } catch (error) {
      this.forget(id);
      throw error;
    }
    if (reply.kind === 'replayed') this.forget(id);
    else this.cache.set(this.prefix + id, reply.workflow, stateJson, reply.stamp);
    return reply;
  }

  forget(id: string): void {
    this.cache?.delete(this.prefix + id);
  }
}
