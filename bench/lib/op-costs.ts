import type { Redis } from 'ioredis';
import { measure, type LoadShape, type Measurement, type Operation } from './measure.js';
import { RunCosts } from './run-costs.js';

/** µs with one decimal. */
const us = (value: number): string => value.toFixed(1);

/**
 * Where one side of an in-process figure spends its CPU: this process's CPU (the store's or the baseline's client
 * code) and Redis' main-thread CPU, per operation, over all of that side's runs. The operations are counted as they
 * start, measure()'s warm-up included, because the CPU windows (RunCosts) include the warm-up too.
 *
 * On this 2-core machine the bench process and Redis each have about one core, so a side's throughput is bound by
 * the larger of its two figures: this is what says which one a missed ratio is waiting on.
 */
export class OpCosts {
  private ops = 0;
  private readonly costs: RunCosts;

  constructor(stats: Redis) {
    this.costs = new RunCosts(stats, []);
  }

  /** One run of `op` under `shape`, its CPU counted. */
  measure(op: Operation, shape: LoadShape): Promise<Measurement> {
    return this.costs.around(() =>
      measure((worker) => {
        this.ops++;
        return op(worker);
      }, shape),
    );
  }

  get clientUsPerOp(): number {
    return this.costs.clientCpuPer(this.ops);
  }

  get redisUsPerOp(): number {
    return this.costs.redisCpuPer(this.ops);
  }

  /** "store client 27.1 + Redis 45.3 µs" */
  text(label: string): string {
    return `${label} client ${us(this.clientUsPerOp)} + Redis ${us(this.redisUsPerOp)} µs`;
  }
}

/** The note sentence of a figure's per-operation CPU, subject first. */
export function opCostsNote(sides: readonly [string, OpCosts][]): string {
  return `CPU per operation (warm-up included): ${sides.map(([label, costs]) => costs.text(label)).join('; ')}`;
}
