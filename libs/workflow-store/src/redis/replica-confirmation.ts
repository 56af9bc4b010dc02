import type { Redis } from 'ioredis';
import { isCluster, nodeOwning, type StoreRedisClient } from './redis-client.types.js';
import { mapRedisError, ScriptStatus, unconfirmedWrite } from './redis-errors.js';
import type { RedisKeys } from './redis-keys.js';
import { runScript, type ScriptName } from './redis-scripts.js';

/** What the confirmation needs of its backend. */
export interface ReplicaConfirmationHost {
  client(): StoreRedisClient;
  /** Connection losses so far: a WAIT must run on the connection its write went on. */
  epoch(): number;
  keys: RedisKeys;
  timeoutMs: number;
  assertReady(operation: string): void;
}

export class ReplicaConfirmation {
  constructor(private readonly host: ReplicaConfirmationHost) {}

  /**
   * REDIS_DURABILITY=replica: the script, then `WAIT 1 <timeout>` on the connection the script ran on (WAIT counts
   * the replicas that have every write made on its own connection; on a fresh connection it would confirm nothing
   * it had seen). WAIT is sent only after the script's reply: sending both at once is wrong, because after a
   * failover the new master answers EVALSHA with NOSCRIPT and ioredis sends the EVAL behind the WAIT. A replay is
   * confirmed too (confirmReplay): the planned-failover test lost "confirmed" writes until both were fixed. If the
   * connection changed in between — a reconnect, or on a Cluster another node connection for the slot — the write
   * is not confirmed. A write applied but not confirmed is `OutcomeUnknownError`, never a success; a refusal
   * (conflict, not found) is reported as such.
   */
  async writeConfirmed(name: ScriptName, id: string, keys: string[], args: (string | number | Buffer)[]): Promise<unknown[]> {
    this.host.assertReady(name);
    const client = this.host.client();
    const epoch = this.host.epoch();
    const nodeBefore = isCluster(client) ? nodeOwning(client, keys[0] as string) : undefined;
    let reply: unknown[];
    try {
      reply = (await runScript(client, name, keys, args)) as unknown[];
    } catch (error) {
      throw mapRedisError(error, name, true);
    }
    const status = Number(reply[0]);
    if (status === ScriptStatus.Applied) await this.waitForReplica(id, name, keys[0] as string, epoch, nodeBefore);
    if (status === ScriptStatus.Replayed) await this.confirmReplay(id, name);
    return reply;
  }

  /**
   * A replay wrote nothing now, and the write it replays may have gone on another connection or not be replicated
   * yet: a write of the shard's scratch key on this connection first makes WAIT cover everything up to now.
   */
  async confirmReplay(id: string, operation: string): Promise<void> {
    const key = this.host.keys.replicaAck(id);
    const epoch = this.host.epoch();
    const client = this.host.client();
    const nodeBefore = isCluster(client) ? nodeOwning(client, key) : undefined;
    try {
      await client.set(key, '1', 'PX', 60_000);
    } catch (error) {
      throw mapRedisError(error, operation, true);
    }
    await this.waitForReplica(id, operation, key, epoch, nodeBefore);
  }

  /** WAIT 1 on the connection that just wrote `key`, which must not have changed since `epoch` / `nodeBefore`. */
  private async waitForReplica(id: string, operation: string, key: string, epoch: number, nodeBefore: Redis | undefined): Promise<void> {
    const timeoutMs = this.host.timeoutMs;
    const client = this.host.client();
    let replicas: number;
    try {
      if (isCluster(client)) {
        const node = nodeOwning(client, key);
        if (!node || node !== nodeBefore || node.status !== 'ready') throw new Error("the connection to the slot's node changed");
        replicas = Number(await node.call('WAIT', 1, timeoutMs));
      } else {
        if (this.host.epoch() !== epoch || client.status !== 'ready') throw new Error('the connection was re-established');
        replicas = Number(await client.call('WAIT', 1, timeoutMs));
      }
    } catch (error) {
      throw unconfirmedWrite(operation, id, timeoutMs, error);
    }
    if (!(replicas >= 1)) throw unconfirmedWrite(operation, id, timeoutMs, replicas);
  }
}
