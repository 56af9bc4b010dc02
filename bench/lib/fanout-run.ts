import { FanoutClients } from './fanout-clients.js';
import type { FanoutClientsResult } from '../load/fanout-protocol.js';
import { pacedWrites, type VersionedWrite } from './paced-writes.js';
import { procSample, ProcWatch, type ProcSample } from './proc-usage.js';
import type { WritePool } from './write-pool.js';

/** After the last client connected, before the idle sample and the writes. */
const SETTLE_MS = 1000;
/**
 * How long the clients wait, after the last write (and after the warm-up), for events still missing: a replica far
 * behind on a loaded machine is late, not lossy; an event not there after this long counts as missed.
 */
const DRAIN_MS = 60_000;

export interface FanoutShape {
  clients: number;
  rate: number;
  warmupS: number;
  durationS: number;
}

/** One fan-out run: what the clients got, and what the server and the client processes used. */
export interface FanoutRun {
  clients: FanoutClientsResult;
  /** The server: before any client, with every client connected (idle). */
  before: ProcSample;
  idle: ProcSample;
  /** Deliveries of the warm-up still missing when the measured writes began (after waiting up to 60 s). */
  warmBacklog: number;
  /** Server CPU over the measured writes (cores), and from their start until every client had every event (ms). */
  serverCores: number;
  serverCpuMs: number;
  serverPeakRssBytes: number;
  /** From the first measured write until the clients had all their events (or gave up), ms. */
  deliveryMs: number;
  /** The client process over the measured writes, in cores. */
  clientCores: number;
  pacingLagMs: number;
  starved: number;
}

/**
 * `shape.clients` SSE streams on `streamUrl` (the server process `pid`), opened by a client process of their own;
 * then writes from this process at `shape.rate` a second: an unmeasured warm-up, a wait until every client has
 * all of it, then the measured part, with the server's and the client process's CPU and RSS read from /proc; then
 * the client process waits up to 60 s for every client to get every measured write's event and reports. Latency:
 * write sent (here) → chunk read by that client (there), on the machine's one monotonic clock, every pair.
 */
export async function fanoutRun(streamUrl: string, pid: number, shape: FanoutShape, pool: WritePool, write: VersionedWrite): Promise<FanoutRun> {
  const before = procSample(pid);
  const capacity = Math.ceil(shape.rate * (shape.warmupS + shape.durationS) * 1.05) + 1000;
  const clients = await FanoutClients.open({ url: streamUrl, clients: shape.clients, capacity, seconds: shape.durationS });
  try {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const idle = procSample(pid);
    const warm = await pacedWrites(pool, clients, shape.rate, shape.warmupS, 0, write);
    const warmBacklog = await clients.settle(DRAIN_MS);
    const server = new ProcWatch(pid);
    const client = new ProcWatch(clients.pid);
    const measured = await pacedWrites(pool, clients, shape.rate, 0, shape.durationS, write);
    const serverUse = server.stop();
    const clientUse = client.stop();
    const result = await clients.finish(DRAIN_MS);
    const end = procSample(pid);
    return {
      clients: result,
      before,
      idle,
      warmBacklog,
      serverCores: serverUse.cores,
      serverCpuMs: end.cpuMs - serverUse.first.cpuMs,
      serverPeakRssBytes: serverUse.peakRssBytes,
      deliveryMs: end.at - serverUse.first.at,
      clientCores: clientUse.cores,
      pacingLagMs: Math.max(warm.maxLagMs, measured.maxLagMs),
      starved: warm.starved + measured.starved,
    };
  } finally {
    clients.kill();
  }
}
