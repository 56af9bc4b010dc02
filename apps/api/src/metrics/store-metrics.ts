import { Injectable } from '@nestjs/common';
import { WorkflowStoreError, type WorkflowStore } from '#workflow-store';
import { MetricsRegistry } from './metrics.registry.js';

const TIMED = new Set(['create', 'get', 'getJson', 'getJsonBytes', 'save', 'saveJson', 'update', 'mutate', 'delete', 'list', 'touch', 'restore', 'ping', 'history', 'getVersion', 'watch', 'acquireLease', 'renewLease', 'releaseLease', 'getLease', 'events']);

type StoreMethod = (...args: unknown[]) => Promise<unknown>;

/** Times every store call by operation and outcome, without touching the store's code. */
@Injectable()
export class StoreMetrics {
  constructor(private readonly metrics: MetricsRegistry) {}

  instrument(store: WorkflowStore): WorkflowStore {
    const histogram = this.metrics.storeDuration;
    // One timed wrapper per method, made on first use: a call allocates no closure and no label object.
    const wrappers = new Map<string, StoreMethod>();
    const timed = (operation: string, method: StoreMethod): StoreMethod => {
      const ok = { operation, outcome: 'ok' };
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          const result = await method.apply(store, args);
          histogram.observe(ok, (performance.now() - started) / 1000);
          return result;
        } catch (error) {
          const outcome = error instanceof WorkflowStoreError ? error.code : 'error';
          histogram.observe({ operation, outcome }, (performance.now() - started) / 1000);
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
