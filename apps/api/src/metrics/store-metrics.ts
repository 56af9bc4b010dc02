import { Injectable } from '@nestjs/common';
import { WorkflowStoreError, type WorkflowStore } from '#workflow-store';
import type { HistogramCell } from './fast-histogram.js';
import { MetricsRegistry } from './metrics.registry.js';

const TIMED = new Set(['create', 'get', 'getJson', 'getJsonBytes', 'save', 'saveJson', 'update', 'mutate', 'delete', 'list', 'touch', 'restore', 'ping', 'history', 'getVersion', 'watch', 'acquireLease', 'renewLease', 'releaseLease', 'getLease', 'events']);

type StoreMethod = (...args: unknown[]) => Promise<unknown>;

/** Times every store call by operation and outcome, without touching the store's code. */
@Injectable()
export class StoreMetrics {
  constructor(private readonly metrics: MetricsRegistry) {}

  instrument(store: WorkflowStore): WorkflowStore {
    const histogram = this.metrics.storeDuration;
    // One timed wrapper per method, made on first use: a successful call allocates no closure, label object or key.
    const wrappers = new Map<string, StoreMethod>();
    const timed = (operation: string, method: StoreMethod): StoreMethod => {
      let ok: HistogramCell | undefined; // made at the first success, so no empty series appears before one
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          const result = await method.apply(store, args);
          (ok ??= histogram.cell({ operation, outcome: 'ok' })).observe((performance.now() - started) / 1000);
          return result;
        } catch (error) {
          const outcome = error instanceof WorkflowStoreError ? error.code : 'error';
          histogram.cell({ operation, outcome }).observe((performance.now() - started) / 1000);
          throw error;
        }
      };
    };
    return new Proxy(store, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof property !== 'string' || !TIMED.has(property) || typeof value !== 'function') return value;
        let wrapper = wrappers.get(property);
        if (!wrapper) {
          wrapper = timed(property, value as StoreMethod);
          wrappers.set(property, wrapper);
        }
        return wrapper;
      },
    });
  }
}
