import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { WorkflowStore } from '#workflow-store';
import { ShutdownState } from './shutdown-state.js';

/**
 * A PING answers in well under a millisecond. One unanswered after this long means the backend is stalled (paused,
 * a long script, a fork stall): say "not ready" within a second instead of after the whole command timeout.
 */
const READY_DEADLINE_MS = 500;

/** Ready = the backend answers a ping within READY_DEADLINE_MS and the process is not shutting down. */
@Injectable()
export class WorkflowStoreHealth {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly store: WorkflowStore,
    private readonly shutdown: ShutdownState,
  ) {}

  async check(key: string): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    if (this.shutdown.shuttingDown) return indicator.down({ reason: 'shutting down' });
    try {
      await pingWithin(this.store, READY_DEADLINE_MS);
      return indicator.up();
    } catch (error) {
      return indicator.down({ reason: (error as Error).message });
    }
  }
}

async function pingWithin(store: WorkflowStore, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ping = store.ping();
  ping.catch(() => undefined); // it may still fail after the deadline; nobody waits for it then
  try {
    await Promise.race([
      ping,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the store did not answer a ping within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
