import { Cluster, Redis, type ClusterOptions, type RedisOptions as IORedisOptions } from 'ioredis';
import { StoreUnavailableError } from '../errors/store-unavailable.error.js';
import type { RedisOptions } from '../config/workflow-store.options.js';
import type { StoreLogger } from '../shared/store-logger.js';
import { redactUrl } from './redact-url.js';
import type { StoreRedisClient } from './redis-client.types.js';
import { stopSlotsRefreshAfterClose } from './cluster-refresh-guard.js';
import { catchDroppedAsking } from './cluster-ask-guard.js';
import { SentinelReconnectGuard } from './sentinel-reconnect-guard.js';

/** Errors that reconnecting cannot fix: stop at once at boot. */
const FATAL_AT_BOOT = /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username|CERT|certificate|self[- ]signed|ERR_TLS/i;

/** Reconnect delay: doubles from 50 ms, capped at one second, plus up to 100 ms of jitter. */
const backoff = (attempt: number): number => Math.min(1000, 50 * 2 ** Math.min(attempt, 5)) + Math.floor(Math.random() * 100);

/**
 * ioredis options chosen so that no caller ever hangs (see RELIABILITY.md): every command times out, nothing is
 * queued while disconnected, nothing in flight is re-sent after a reconnect (that would apply a write twice),
 * and reconnection backs off with jitter up to one second, forever.
 */
export function clientOptions(options: RedisOptions): IORedisOptions {
  return {
    username: options.username,
    password: options.password,
    db: options.db,
    // With rediss:// ioredis turns TLS on by itself; the CA, client certificate and server name come from here.
    ...(options.tls ? { tls: { ...options.tls } } : {}),
    connectionName: 'workflow-store',
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    enableReadyCheck: true,
    // While Redis loads its data, ioredis re-checks after Redis' own loading ETA (up to 10 s by default), which is
    // far off: measured, ready 5.5 s after a 1.7 s load ended. Re-check often instead.
    maxLoadingRetryTime: 200,
    enableAutoPipelining: false,
    // ioredis waits this long for a graceful socket end on disconnect; its 2 s default keeps a failed boot alive.
    disconnectTimeout: 200,
    retryStrategy: backoff,
    // A replica promoted away from us answers READONLY: reconnect (and re-resolve) instead of failing forever.
    reconnectOnError: (error: Error) => (error.message.startsWith('READONLY') ? 2 : false),
  };
}

/** The client for the configured topology: Cluster with REDIS_CLUSTER_NODES, else standalone or Sentinel. */
export function createStoreClient(options: RedisOptions): StoreRedisClient {
  return options.cluster ? createClusterClient(options, options.cluster) : createRedisClient(options);
}

/** Standalone (REDIS_URL) or, with REDIS_SENTINELS, the master the Sentinels name. */
export function createRedisClient(options: RedisOptions): Redis {
  if (!options.sentinel) return new Redis(options.url, clientOptions(options));
  const { sentinels, name, password } = options.sentinel;
  return new Redis({
    ...clientOptions(options),
    ...urlCredentials(options),
    sentinels,
    name,
    role: 'master',
    sentinelPassword: password,
    // Sentinels are asked at each (re)connect; a dead one must not hold the reconnect for long.
    sentinelCommandTimeout: Math.min(options.commandTimeoutMs, 1000),
    sentinelRetryStrategy: backoff,
    // Subscribes to +switch-master and drops the connection at once, so no write goes on to a demoted master
    // (measured: without it a planned failover lost 71 k of 86 k acknowledged writes, with it 10.5 k).
    failoverDetector: true,
    // ioredis' own connector stops reconnecting for good when that detector fires while it asks a Sentinel.
    Connector: SentinelReconnectGuard,
    // The same TLS settings for the master and the Sentinels.
    ...(options.tls ? { enableTLSForSentinelMode: true, sentinelTLS: { ...options.tls } } : {}),
  });
}

/**
 * Redis Cluster: per-node options are the same `clientOptions()`. ioredis would otherwise re-send a command whose
 * connection closed (retryDelayOnFailover) — a write that may already be applied — and retry CLUSTERDOWN for
 * seconds; both are off, so such a request is answered at once (503). MOVED and ASK are followed at once; TRYAGAIN
 * (a script whose keys are half migrated: nothing ran) is retried, bounded by the command timeout.
 */
export function createClusterClient(options: RedisOptions, nodes: { host: string; port: number }[]): Cluster {
  const { retryStrategy: _retry, enableOfflineQueue: _queue, lazyConnect: _lazy, ...perNode } = clientOptions(options);
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...perNode, ...urlCredentials(options), db: 0 },
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: true,
    scaleReads: 'master',
    maxRedirections: 16,
    retryDelayOnMoved: 0,
    retryDelayOnFailover: 0,
    retryDelayOnClusterDown: 0,
    retryDelayOnTryAgain: 50,
    slotsRefreshTimeout: Math.min(options.commandTimeoutMs, 1000),
    slotsRefreshInterval: 1000,
    clusterRetryStrategy: backoff,
    enableAutoPipelining: false,
  };
  const cluster = new Cluster(nodes, clusterOptions);
  stopSlotsRefreshAfterClose(cluster);
  catchDroppedAsking(cluster);
  return cluster;
}

/** Cluster and Sentinel connect by host and port: user and password come from REDIS_URL unless set on their own. */
function urlCredentials(options: RedisOptions): { username?: string; password?: string } {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    return {};
  }
  const username = options.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = options.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/** Where the store connects, for messages; never shows credentials. */
export function describeRedisTarget(options: RedisOptions): string {
  const list = (nodes: { host: string; port: number }[]): string => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (options.cluster) return `Redis Cluster (seeds ${list(options.cluster)})`;
  if (options.sentinel) return `Sentinel master "${options.sentinel.name}" (sentinels ${list(options.sentinel.sentinels)})`;
  return redactUrl(options.url);
}

/**
 * Connects and waits for `ready` (not `connect`: a loading Redis answers LOADING until then). ioredis' own
 * `connect()` only says "Connection is closed."; the real cause (ECONNREFUSED, WRONGPASS, a certificate error)
 * arrives on the `error` event, so that is what the thrown error carries.
 */
export async function connectWhenReady(client: StoreRedisClient, options: RedisOptions, logger: StoreLogger): Promise<void> {
  const where = describeRedisTarget(options);
  let lastError: Error | undefined;
  let settled = false;
  await new Promise<void>((resolve, reject) => {
    const fail = (reason: string): void => {
      if (settled) return; // e.g. ready while the seed probe ran
      cleanup();
      client.disconnect();
      reject(new StoreUnavailableError(`cannot connect to ${options.cluster || options.sentinel ? '' : 'Redis at '}${where}: ${reason}`, { cause: lastError }));
    };
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: Error): void => {
      // Keep a node's error over the Cluster's summary that follows it.
      if (!(lastError && error.message.startsWith('Failed to refresh slots cache'))) lastError = error;
      if (FATAL_AT_BOOT.test(`${error.message} ${(error as NodeJS.ErrnoException).code ?? ''}`)) fail(describe(error));
    };
    const timer = setTimeout(() => {
      const reason = lastError ? describe(lastError) : `not ready within ${options.connectTimeoutMs} ms`;
      // ioredis Cluster reports every node failure as "Connection is closed."; one direct connection to a seed, with
      // the same options, tells the real cause (ECONNREFUSED, WRONGPASS, a certificate error).
      if (!options.cluster) return fail(reason);
      void probeSeed(options, options.cluster[0]).then((cause) => {
        if (cause) lastError = cause;
        fail(cause ? `${describe(cause)} (seed ${String(options.cluster?.[0]?.host)}:${String(options.cluster?.[0]?.port)})` : reason);
      });
    }, options.connectTimeoutMs);
    const cleanup = (): void => {
      settled = true;
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      client.off('node error', onError);
    };
    client.on('ready', onReady);
    client.on('error', onError);
    // A Cluster reports "Failed to refresh slots cache." on 'error'; each node's real cause comes on 'node error'.
    client.on('node error', onError);
    client.connect().catch(() => undefined); // the outcome is reported through the events above
  });
  logger.log(`connected to ${options.cluster || options.sentinel ? '' : 'Redis at '}${where}`);
}

/** Connects once to one seed as a plain client (no retry, same TLS and credentials); resolves with its error, if any. */
async function probeSeed(options: RedisOptions, seed: { host: string; port: number } | undefined): Promise<Error | undefined> {
  if (!seed) return undefined;
  const probe = new Redis({
    ...clientOptions(options),
    ...urlCredentials(options),
    host: seed.host,
    port: seed.port,
    db: 0,
    connectionName: 'workflow-store-probe',
    retryStrategy: () => null,
    connectTimeout: Math.min(options.connectTimeoutMs, 1000),
  });
  let cause: Error | undefined;
  probe.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    cause ??= error as Error;
  } finally {
    probe.disconnect();
  }
  return cause;
}

function describe(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}
