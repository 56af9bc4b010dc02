import { readdirSync, readFileSync } from 'node:fs';
import type { Operation } from './measure.js';
import { procSample } from './proc-usage.js';

/** Parent pid of a process (field 4 of /proc/<pid>/stat), undefined when it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * CPU ms (user + system, 10 ms ticks) of a process and every descendant alive now: for postgres, the postmaster, its
 * background processes (WAL writer, checkpointer, autovacuum) and one backend per pooled connection. Linux only.
 */
export function treeCpuMs(rootPid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = parentOf(Number(entry));
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  let total = 0;
  const pending = [rootPid];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    try {
      total += procSample(pid).cpuMs;
    } catch {
      // exited between the listing and now
    }
    pending.push(...(children.get(pid) ?? []));
  }
  return total;
}

/**
 * CPU per call of a figure, client (this process) and server (its Redis or PostgreSQL, when it has one) apart, over
 * every run wrapped by `around`, warm-ups included: a figure a loaded machine moves much less than throughput, since
 * time other processes take is not counted. Calls are counted by the operation `wrap` returns, inside `around` only.
 */
export class CpuMeter {
  private clientUs = 0;
  private serverMs = 0;
  private calls = 0;
  private active = false;

  constructor(private readonly serverCpuMs: (() => number) | undefined) {}

  wrap(op: Operation): Operation {
    return (worker) => {
      if (this.active) this.calls++;
      return op(worker);
    };
  }

  async around<T>(run: () => Promise<T>): Promise<T> {
    const client = process.cpuUsage();
    const server = this.serverCpuMs?.() ?? 0;
    this.active = true;
    try {
      return await run();
    } finally {
      this.active = false;
      const used = process.cpuUsage(client);
      this.clientUs += used.user + used.system;
      this.serverMs += (this.serverCpuMs?.() ?? 0) - server;
    }
  }

  /** µs per call: client, server (0 without one) and their sum. */
  perCall(): { clientUs: number; serverUs: number; totalUs: number } {
    const clientUs = this.clientUs / this.calls;
    const serverUs = (this.serverMs * 1000) / this.calls;
    return { clientUs, serverUs, totalUs: clientUs + serverUs };
  }
}
