import type { RedisOptions } from '../config/workflow-store.options.js';
import { StoreUnavailableError } from '../errors/store-unavailable.error.js';
import type { StoreLogger } from '../shared/store-logger.js';
import { createStoreClient } from './redis-client.factory.js';
import type { StoreRedisClient } from './redis-client.types.js';
import { mapRedisError } from './redis-errors.js';
import { defineScripts, runScript, type ScriptName } from './redis-scripts.js';
import { TickCork } from './tick-cork.js';

/**
 * The one Redis connection of a backend and its tenant views: how every command is sent (refused with nothing sent
 * unless the connection is ready, corked per tick, failures mapped to typed errors in redis-errors.ts), how losses
 * and recoveries are told, and how it is closed.
 */
export class RedisConnection {
  readonly client: StoreRedisClient;
  /** One socket write for the commands of a tick (tick-cork.ts). */
  private readonly cork: TickCork;
  private wasReady = false;
  /** Set once the connection was lost after boot, so "ready again" is only said after a real outage. */
  private lost = false;
  private closing = false;
  /** Connection losses so far, so a WAIT can tell it is on the connection its write went on. */
  private losses = 0;

  constructor(
    private readonly options: RedisOptions,
    private readonly logger: StoreLogger,
  ) {
    this.client = createStoreClient(options);
    this.cork = new TickCork(this.client, options.commandBatching);
    defineScripts(this.client);
    this.watch();
  }

  /** Connection losses so far (see ReplicaConfirmation). */
  get epoch(): number {
    return this.losses;
  }

  /** Boot is done: from now on a loss of the connection is logged. */
  markReady(): void {
    this.wasReady = true;
  }

  /** A script by name, with the typed errors; with `bytes`, bulk replies come as Buffers. */
  async run(name: ScriptName, keys: string[], args: (string | number | Buffer)[], operation: string, isWrite: boolean, bytes = false): Promise<unknown> {
    this.assertReady(operation);
    // Scripts share a tick's socket write too: with 64 writes in flight, one write(2) each was the store's largest client cost.
    this.cork.hold();
    try {
      return await runScript(this.client, name, keys, args, bytes);
    } catch (error) {
      throw mapRedisError(error, operation, isWrite);
    }
  }

  /** Commands that change nothing, with the typed errors. */
  async read<T>(operation: string, command: () => Promise<T>): Promise<T> {
    this.assertReady(operation);
    this.cork.hold();
    try {
      return await command();
    } catch (error) {
      throw mapRedisError(error, operation, false);
    }
  }

  /** A record's GET: no async wrapper on this hottest path (the caller maps the error). */
  get(key: string): Promise<string | null> {
    this.assertReady('get');
    this.cork.hold();
    return this.client.get(key);
  }

  getBuffer(key: string): Promise<Buffer | null> {
    this.assertReady('get');
    this.cork.hold();
    return this.client.getBuffer(key);
  }

  /** Nothing is sent unless the connection is ready, so a refusal here is certain to have changed nothing. */
  assertReady(operation: string): void {
    if (this.client.status !== 'ready') {
      throw new StoreUnavailableError(`${operation}: Redis connection is ${this.client.status}; nothing was sent`);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const client = this.client;
    if (client.status === 'end' || client.status === 'close' || client.status === 'reconnecting') {
      client.disconnect(); // stops any pending reconnect; no socket is open to QUIT on
      return;
    }
    try {
      if (client.status === 'ready') await client.quit();
      else client.disconnect();
      // ioredis 6.0.0: QUIT leaves the failover detector's Sentinel subscriptions open (the process never exits);
      // disconnect() after it closes them.
      if (this.options.sentinel) client.disconnect();
    } catch {
      client.disconnect(); // QUIT could not be sent or answered: drop the socket anyway
    }
  }

  /** Logs each loss and recovery of the connection once, with the real cause. */
  private watch(): void {
    this.client.on('error', (error: Error) => {
      if (this.wasReady) this.logger.error(`Redis connection error: ${error.message}`);
      if (this.wasReady) this.lost = true;
      this.wasReady = false;
    });
    this.client.on('close', () => {
      this.losses += 1;
      if (this.wasReady && !this.closing) this.logger.warn('Redis connection lost; reconnecting');
      if (this.wasReady) this.lost = true;
      this.wasReady = false;
    });
    this.client.on('ready', () => {
      if (this.lost) this.logger.log('Redis connection ready again');
      this.lost = false;
      this.wasReady = true;
    });
  }
}
