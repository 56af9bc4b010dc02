import { Injectable } from '@nestjs/common';
import { WorkflowStoreError, type WorkflowStore } from '#workflow-store';
import { MetricsRegistry } from './metrics.registry.js';

const TIMED = new Set(['create', 'get', 'getJson', 'save', 'saveJson', 'update', 'mutate', 'delete', 'list', 'touch', 'restore', 'ping']);

/** Times every store call by operation and outcome, without touching the store's code. */
@Injectable()
export class StoreMetrics {
  constructor(private readonly metrics: MetricsRegistry) {}

  instrument(store: WorkflowStore): WorkflowStore {
    const histogram = this.metrics.storeDuration;
    return new Proxy(store, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof property !== 'string' || !TIMED.has(property) || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const stop = histogram.startTimer({ operation: property });
          try {
            const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            stop({ outcome: 'ok' });
            return result;
          } catch (error) {
            stop({ outcome: error instanceof WorkflowStoreError ? error.code : 'error' });
            throw error;
          }
        };
      },
    });
  }
}
