import calculateSlot from 'cluster-key-slot';
import { Redis, type Cluster } from 'ioredis';
import type { RedisOptions } from '../../config/workflow-store.options.js';
import type { StoreLogger } from '../../shared/store-logger.js';
import { clientOptions } from '../redis-client.factory.js';
import { isCluster, type StoreRedisClient } from '../redis-client.types.js';

/** The node key of a standalone or Sentinel-managed Redis: there is one node. */
const SINGLE_NODE = 'master';
/** Channels per SSUBSCRIBE command. */
const SUBSCRIBE_BATCH = 1000;
/** SSUBSCRIBE commands sent before waiting for their replies (per subscriber connection, one per master). */
const COMMANDS_IN_FLIGHT = 64;
/**
 * How long subscribing keeps re-sending the SSUBSCRIBEs of one window that timed out. SSUBSCRIBE is idempotent, and
 * 16 384 of them on a loaded machine (REDIS_SHARDS=16384 on 20 masters sharing 2 cores) had some outlast a 1 s
 * command timeout. Each window that completes starts this bound again: slow but progressing is not a failure.
 */
const SUBSCRIBE_STALL_MS = 10_000;
/** After a subscriber reconnected and could not subscribe again, the next attempt waits this long. */
const RESUBSCRIBE_RETRY_MS = 1000;

/** What a feed source hears from the hub: a shard's channel rang, or a node's notices may have been lost. */
export interface NoticeListener {
  notice(channel: string): void;
  /** The node's subscriber (re)connected: notices sent meanwhile were lost, so every shard on it must be read. */
  lost(node: string): void;
}

/**
 * The shard notice channels of one process, on as few connections as possible: one subscriber connection per master
 * (standalone and Sentinel: one), shared by every tenant's feed source. It also gives the barrier the feed's
 * ordering rests on (see `barrier`).
 */
export class NoticeHub {
  private readonly subscribers = new Map<string, Redis>();
  private readonly listeners = new Map<string, NoticeListener>();
  /** Channels by the node they were subscribed on. */
  private readonly nodeOfChannel = new Map<string, string>();
  private closed = false;

  constructor(
    private readonly client: StoreRedisClient,
    private readonly options: RedisOptions,
    private readonly logger: StoreLogger,
  ) {
    if (isCluster(client)) client.on('refresh', () => void this.followSlots());
  }

  /** The node a shard channel lives on now (Cluster: the master of its slot). */
  nodeOf(channel: string): string {
    if (!isCluster(this.client)) return SINGLE_NODE;
    return this.client.slots[calculateSlot(channel)]?.[0] ?? 'unknown';
  }

  /** Subscribes `channels` for `listener`; resolves once Redis confirmed every subscription. */
  async add(channels: readonly string[], listener: NoticeListener): Promise<void> {
    const byNode = new Map<string, string[]>();
    for (const channel of channels) {
      this.listeners.set(channel, listener);
      const node = this.nodeOf(channel);
      this.nodeOfChannel.set(channel, node);
      pushTo(byNode, node, channel);
    }
    await Promise.all([...byNode].map(async ([node, list]) => this.subscribe(await this.subscriber(node), list)));
  }

  remove(channels: readonly string[]): void {
    const byNode = new Map<string, string[]>();
    for (const channel of channels) {
      this.listeners.delete(channel);
      const node = this.nodeOfChannel.get(channel);
      this.nodeOfChannel.delete(channel);
      if (node) pushTo(byNode, node, channel);
    }
    for (const [node, list] of byNode) {
      const subscriber = this.subscribers.get(node);
      if (subscriber?.status !== 'ready') continue;
      for (const batch of this.batches(list)) subscriber.sunsubscribe(...batch).catch(() => undefined);
    }
  }

  /**
   * The ordering barrier of one node: its clock (TIME, ms), then a PING on the node's subscriber connection. Every
   * script that ran on the node before TIME published its notice before TIME ran, and Redis sends a connection's
   * replies and messages in order, so once the PONG is back every such notice has arrived; a script that runs later
   * records its event at that time or later. So after the barrier, reading the shards that rang yields every
   * event of the node older than the returned time.
   */
  async barrier(node: string): Promise<number> {
    const command = this.commandConnection(node);
    if (!command) throw new Error(`no connection to node ${node}`);
    const [seconds, micros] = await command.time();
    await (await this.subscriber(node)).ping();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** The nodes that hold at least one subscribed channel of `listener`. */
  nodesOf(channels: readonly string[]): Set<string> {
    return new Set(channels.map((channel) => this.nodeOfChannel.get(channel) ?? this.nodeOf(channel)));
  }

  close(): void {
    this.closed = true;
    for (const subscriber of this.subscribers.values()) subscriber.disconnect();
    this.subscribers.clear();
  }

  private commandConnection(node: string): Redis | Cluster | undefined {
    if (!isCluster(this.client)) return this.client;
    return this.client.nodes('master').find((redis) => `${String(redis.options.host)}:${String(redis.options.port)}` === node);
  }

  private async subscriber(node: string): Promise<Redis> {
    if (this.closed) throw new Error('the store is closed');
    let subscriber = this.subscribers.get(node);
    if (!subscriber) {
      subscriber = this.connectSubscriber(node);
      this.subscribers.set(node, subscriber);
    }
    if (subscriber.status !== 'ready') await waitReady(subscriber, this.options.connectTimeoutMs);
    return subscriber;
  }

  private connectSubscriber(node: string): Redis {
    let subscriber: Redis;
    if (isCluster(this.client)) {
      const [host, port] = [node.slice(0, node.lastIndexOf(':')), Number(node.slice(node.lastIndexOf(':') + 1))];
      subscriber = newNodeClient(this.options, host, port);
    } else {
      subscriber = this.client.duplicate({ connectionName: 'workflow-store-feed', lazyConnect: true, autoResubscribe: false });
    }
    let readyBefore = false;
    subscriber.on('smessage', (channel: string) => this.listeners.get(channel)?.notice(channel));
    subscriber.on('ready', () => {
      // Notices sent while it was away are lost: subscribe again (ours, not ioredis' autoResubscribe, which sends one
      // command per channel and drops their promises), then have every shard on the node read.
      if (readyBefore) void this.resubscribe(node, subscriber);
      readyBefore = true;
    });
    subscriber.on('error', (error: Error) => {
      if (!this.closed) this.logger.warn(`change feed subscriber (${node}): ${error.message}`);
    });
    if (subscriber.status === 'wait') subscriber.connect().catch(() => undefined);
    return subscriber;
  }

  /**
   * SSUBSCRIBE in batches; on a Cluster one batch per slot (the channels of one command must share a slot). At most
   * COMMANDS_IN_FLIGHT commands at once: thousands sent together outlast the command timeout.
   */
  private async subscribe(subscriber: Redis, channels: readonly string[]): Promise<void> {
    const batches = this.batches(channels);
    for (let i = 0; i < batches.length; i += COMMANDS_IN_FLIGHT) {
      const deadline = Date.now() + SUBSCRIBE_STALL_MS;
      let window = batches.slice(i, i + COMMANDS_IN_FLIGHT);
      for (;;) {
        const results = await Promise.allSettled(window.map((batch) => subscriber.ssubscribe(...batch)));
        const failed = window.filter((_, n) => results[n]?.status === 'rejected');
        if (failed.length === 0) break;
        const first = results.find((result): result is PromiseRejectedResult => result.status === 'rejected') as PromiseRejectedResult;
        const timedOut = /timed out/i.test((first.reason as Error).message);
        if (!timedOut || this.closed || subscriber.status !== 'ready' || Date.now() > deadline) throw first.reason;
        window = failed;
      }
    }
  }

  /** After a reconnect: the node's channels again, then every listener on it told; retried until it works or closes. */
  private async resubscribe(node: string, subscriber: Redis): Promise<void> {
    if (this.closed || this.subscribers.get(node) !== subscriber) return;
    const channels = [...this.nodeOfChannel].filter(([, on]) => on === node).map(([channel]) => channel);
    try {
      await this.subscribe(subscriber, channels);
    } catch (error) {
      if (this.closed) return;
      this.logger.warn(`change feed subscriber (${node}) could not subscribe again: ${(error as Error).message}; retrying`);
      setTimeout(() => void this.resubscribe(node, subscriber), RESUBSCRIBE_RETRY_MS).unref();
    } finally {
      this.lostOn(node);
    }
  }

  private batches(channels: readonly string[]): string[][] {
    const batches: string[][] = [];
    if (!isCluster(this.client)) {
      for (let i = 0; i < channels.length; i += SUBSCRIBE_BATCH) batches.push(channels.slice(i, i + SUBSCRIBE_BATCH));
      return batches;
    }
    const bySlot = new Map<number, string[]>();
    for (const channel of channels) pushTo(bySlot, calculateSlot(channel), channel);
    return [...bySlot.values()];
  }

  private lostOn(node: string): void {
    const told = new Set<NoticeListener>();
    for (const [channel, listenerNode] of this.nodeOfChannel) {
      const listener = this.listeners.get(channel);
      if (listenerNode === node && listener && !told.has(listener)) {
        told.add(listener);
        listener.lost(node);
      }
    }
  }

  /** Cluster slots moved (failover, resharding): subscribe each channel where its slot lives now, and catch up. */
  private async followSlots(): Promise<void> {
    if (this.closed) return;
    const moved = [...this.nodeOfChannel].filter(([channel, node]) => this.nodeOf(channel) !== node);
    if (moved.length === 0) return;
    const listeners = new Set<NoticeListener>();
    for (const [channel] of moved) {
      const listener = this.listeners.get(channel);
      if (listener) listeners.add(listener);
    }
    try {
      for (const listener of listeners) {
        const channels = moved.map(([channel]) => channel).filter((channel) => this.listeners.get(channel) === listener);
        this.remove(channels);
        await this.add(channels, listener);
        for (const node of this.nodesOf(channels)) listener.lost(node);
      }
    } catch (error) {
      this.logger.warn(`change feed could not follow moved slots yet: ${(error as Error).message}`);
    }
  }
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function newNodeClient(options: RedisOptions, host: string, port: number): Redis {
  return new Redis({ ...clientOptions(options), host, port, connectionName: 'workflow-store-feed', autoResubscribe: false });
}

/** Resolves when the connection is ready, rejects after `timeoutMs` or on its first error meanwhile. */
function waitReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`change feed subscriber not ready after ${timeoutMs} ms (${redis.status})`)), timeoutMs);
    timer.unref();
    const onReady = (): void => finish();
    const onError = (error: Error): void => finish(error);
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      if (error) reject(error);
      else resolve();
    };
    redis.once('ready', onReady);
    redis.once('error', onError);
  });
}
