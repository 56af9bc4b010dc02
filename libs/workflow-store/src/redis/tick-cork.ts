import type { Writable } from 'node:stream';
import type { CommandBatching } from '../config/workflow-store.options.js';
import { isCluster, type StoreRedisClient } from './redis-client.types.js';

/**
 * Sends the commands (reads and write scripts) issued in one run of the event loop's microtasks with one socket write
 * instead of one each: the first command corks the connection's socket, a microtask queued then uncorks it, and Node
 * writes every buffered command with one `writev`. Each command stays its own (its own reply, error and command
 * timeout; a script stays one atomic EVALSHA); only the system calls are shared. With 64 reads in flight on one
 * connection, the per-command `write` was 57 % of a 1 KB `store.get`'s CPU (profile, 30 Nov), and Redis then also
 * reads many commands per `read`.
 *
 * `event-loop-turn` uncorks on `setImmediate` instead: the commands of every callback of the loop's turn (an HTTP
 * server's requests that arrived together each run in their own callback) then share the write too, at the cost of
 * holding a command until the turn's I/O callbacks have run. See `CommandBatching` for which to use where.
 *
 * Standalone and Sentinel clients only: a Cluster writes to a connection per node and is left as it is.
 */
export class TickCork {
  private corked: Writable | undefined;
  private readonly uncork = (): void => {
    const stream = this.corked;
    this.corked = undefined;
    stream?.uncork();
  };

  constructor(
    private readonly client: StoreRedisClient,
    private readonly batching: CommandBatching = 'microtasks',
  ) {}

  /** Call right before sending a command: corks the socket until the current microtasks (or loop turn) have run. */
  hold(): void {
    if (this.corked !== undefined || isCluster(this.client)) return;
    const stream = this.client.stream as Writable | undefined;
    // Not connected (the read fails on its own) or already ended: nothing to hold.
    if (!stream?.writable) return;
    stream.cork();
    this.corked = stream;
    if (this.batching === 'event-loop-turn') setImmediate(this.uncork);
    else queueMicrotask(this.uncork);
  }
}
