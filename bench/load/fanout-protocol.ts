// Messages between the bench and the fan-out client process (bench/load/sse-fanout-clients.ts), over Node IPC.
import type { FrameTally } from '../lib/feed-frames.js';
import type { Measurement } from '../lib/measure.js';

/** The process's one argument (JSON). */
export interface FanoutClientsInput {
  /** The text/event-stream URL every client opens. */
  url: string;
  clients: number;
  /** Writes (and events) the log can hold. */
  capacity: number;
  /** Seconds of measured writes, for the deliveries a second. */
  seconds: number;
}

/**
 * Bench → clients: a write was sent / answered (times are nowMs(), CLOCK_MONOTONIC); wait until every client has
 * every acknowledged write so far (after the warm-up, so its backlog does not spill into the measured part); or the
 * run is over.
 */
export type ToClients =
  | { kind: 'sent'; key: string; measured: boolean; at: number }
  | { kind: 'answered'; key: string; ok: boolean; at: number }
  | { kind: 'settle'; drainMs: number }
  | { kind: 'finish'; drainMs: number };

export interface FanoutClientsResult {
  /** Write sent → chunk read, over every (measured acknowledged write, client) pair; errors = pairs never received. */
  latency: Measurement;
  clientsMissing: number;
  writes: { acknowledged: number; unanswered: number; failed: number; foreign: number };
  duplicates: number;
  overflow: number;
  tally: FrameTally;
  /** Streams that broke or ended before the run was over. */
  broken: number;
  /** Heartbeat comments received over all clients. */
  comments: number;
}

/** Clients → bench: every stream is open; settled (with the deliveries still missing); the run's result; or a failure. */
export type FromClients =
  | { kind: 'ready' }
  | { kind: 'settled'; outstanding: number }
  | { kind: 'result'; result: FanoutClientsResult }
  | { kind: 'error'; message: string };
