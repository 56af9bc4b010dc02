import type { Redis } from 'ioredis';
import type { RedisProcess } from './redis-process.js';

/** Commands a client sent per operation, in total and by command name (lower case). */
export interface RoundTrips {
  ops: number;
  perOp: number;
  byCommand: Record<string, number>;
}

function perOp(ops: number, counts: Map<string, number>): RoundTrips {
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  const byCommand = Object.fromEntries([...counts].map(([name, n]) => [name, n / ops]));
  return { ops, perOp: total / ops, byCommand };
}

/** Resolves when `monitor` shows the marker `ECHO <text>` sent by `marker`. */
function echoSeen(monitor: Redis, marker: Redis, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const listener = (_time: string, args: string[]): void => {
      if (args[0]?.toLowerCase() === 'echo' && args[1] === text) {
        monitor.off('monitor', listener);
        resolve();
      }
    };
    monitor.on('monitor', listener);
    marker.echo(text).catch(reject);
  });
}

const MARKER = 'wfs-bench-monitor-';

/**
 * Commands clients send to Redis per operation, seen by MONITOR: `ops` operations one at a time on an otherwise idle
 * server, between two ECHO markers (so every command of them, and nothing sent before or after, is counted). MONITOR
 * shows the commands a script runs too, with the source `lua` (`[0 lua]`): those are not round trips, they are
 * counted apart (`inScripts`). Only lines from a client address (`[0 127.0.0.1:port]`) are round trips.
 */
export async function redisRoundTrips(
  redis: RedisProcess,
  ops: number,
  op: (i: number) => Promise<unknown>,
): Promise<RoundTrips & { inScripts: RoundTrips }> {
  const marker = redis.client();
  const base = redis.client();
  const monitor = await base.monitor(); // a connection of its own: `base` must be closed too
  const fromClients = new Map<string, number>();
  const fromScripts = new Map<string, number>();
  let counting = false;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const name = (args[0] ?? '?').toLowerCase();
    if (!counting || (name === 'echo' && args[1]?.startsWith(MARKER))) return;
    const counts = source === 'lua' ? fromScripts : /^127\.0\.0\.1:\d+$/.test(source) ? fromClients : undefined;
    counts?.set(name, (counts.get(name) ?? 0) + 1);
  });
  try {
    await marker.ping();
    await echoSeen(monitor, marker, `${MARKER}start`);
    counting = true;
    for (let i = 0; i < ops; i++) await op(i);
    await echoSeen(monitor, marker, `${MARKER}end`);
    counting = false;
    return { ...perOp(ops, fromClients), inScripts: perOp(ops, fromScripts) };
  } finally {
    monitor.disconnect();
    base.disconnect();
    marker.disconnect();
  }
}

/** Statements a PostgresSaver's pool sent per operation: `ops` operations one at a time, counted by `statements()`. */
export async function postgresStatements(statements: () => number, ops: number, op: (i: number) => Promise<unknown>): Promise<RoundTrips> {
  const before = statements();
  for (let i = 0; i < ops; i++) await op(i);
  return { ops, perOp: (statements() - before) / ops, byCommand: {} };
}

/** "1.00 (evalsha 1.00)" */
export function roundTripText(r: RoundTrips): string {
  const parts = Object.entries(r.byCommand).map(([name, n]) => `${name} ${n.toFixed(2)}`);
  return `${r.perOp.toFixed(2)}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}
