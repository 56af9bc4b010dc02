import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { WorkflowStore } from '#workflow-store';
import { ShutdownState } from './shutdown-state.js';

/** Ready = the backend answers a ping (bounded by the command timeout) and the process is not shutting down. */
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
      await this.store.ping();
      return indicator.up();
    } catch (error) {
      return indicator.down({ reason: (error as Error).message });
    }
  }
}
