import type { Redis } from 'ioredis';
import { procSample } from './proc-usage.js';
import { serverSample } from './server-time.js';

/** What a load-generator run reports of itself: the requests it sent (warm-up included) and its CPU for them. */
export interface LoadRunCost {
  requests: number;
  cpuUs: number;
}

interface Totals {
  requests: number;
  serverUs: number;
  redisUs: number;
  loadUs: number;
}

/**
 * CPU per request of each process of an HTTP figure, by side (the API, each bare variant): the server under test
 * (/proc/<pid>/stat, 10 ms ticks), Redis' main thread (INFO cpu) and the load generator (its own process.cpuUsage),
 * each over the whole run, warm-up included, divided by the requests the generator sent in it. Only meaningful while
 * nothing else loads the server or Redis: the sides run one at a time.
 *
 * The three processes share this machine's 2 cores, so a side's throughput follows the sum of the three (BENCHMARKS.md,
 * "1 December, third session", compares the ratios these sums predict with the measured ones).
 */
export class HttpCosts {
  private readonly totals = new Map<string, Totals>();

  constructor(private readonly stats: Redis) {}

  async around<T extends LoadRunCost>(side: string, serverPid: number, run: () => Promise<T>): Promise<T> {
    const server0 = procSample(serverPid);
    const redis0 = (await serverSample(this.stats)).cpuUsec;
    const result = await run();
    const redis1 = (await serverSample(this.stats)).cpuUsec;
    const server1 = procSample(serverPid);
    const total = this.totals.get(side) ?? { requests: 0, serverUs: 0, redisUs: 0, loadUs: 0 };
    this.totals.set(side, {
      requests: total.requests + result.requests,
      serverUs: total.serverUs + (server1.cpuMs - server0.cpuMs) * 1000,
      redisUs: total.redisUs + (redis1 - redis0),
      loadUs: total.loadUs + result.cpuUs,
    });
    return result;
  }

  /** "API 137.1 + Redis 62.5 + load 52.0 = 251.6 µs" (server, Redis, load generator). */
  text(side: string, label = side): string {
    const t = this.totals.get(side);
    if (!t || t.requests === 0) return `${label} not measured`;
    const [server, redis, load] = [t.serverUs, t.redisUs, t.loadUs].map((v) => v / t.requests) as [number, number, number];
    return `${label} ${server.toFixed(1)} + Redis ${redis.toFixed(1)} + load ${load.toFixed(1)} = ${(server + redis + load).toFixed(1)} µs`;
  }
}

/** The note sentence of an HTTP figure's per-request CPU. */
export function httpCostsNote(costs: HttpCosts, sides: readonly [string, string][]): string {
  return `CPU per request (server + Redis + load generator, warm-up included): ${sides.map(([side, label]) => costs.text(side, label)).join('; ')}`;
}
