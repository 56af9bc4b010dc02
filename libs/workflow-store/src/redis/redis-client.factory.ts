import { Redis, type RedisOptions as IORedisOptions } from 'ioredis';
import { StoreUnavailableError } from '../errors/store-unavailable.error.js';
import type { RedisOptions } from '../config/workflow-store.options.js';
import type { StoreLogger } from '../shared/store-logger.js';
import { redactUrl } from './redact-url.js';

/** Errors that reconnecting cannot fix: stop at once at boot. */
const FATAL_AT_BOOT = /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username|CERT|certificate|self[- ]signed|ERR_TLS/i;

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
    retryStrategy: (attempt: number) => Math.min(1000, 50 * 2 ** Math.min(attempt, 5)) + Math.floor(Math.random() * 100),
    // A replica promoted away from us answers READONLY: reconnect (and re-resolve) instead of failing forever.
    reconnectOnError: (error: Error) => (error.message.startsWith('READONLY') ? 2 : false),
  };
}

export function createRedisClient(options: RedisOptions): Redis {
  return new Redis(options.url, clientOptions(options));
}

/**
 * Connects and waits for `ready` (not `connect`: a loading Redis answers LOADING until then). ioredis' own
 * `connect()` only says "Connection is closed."; the real cause (ECONNREFUSED, WRONGPASS, a certificate error)
 * arrives on the `error` event, so that is what the thrown error carries.
 */
export async function connectWhenReady(client: Redis, options: RedisOptions, logger: StoreLogger): Promise<void> {
  const where = redactUrl(options.url);
  let lastError: Error | undefined;
  await new Promise<void>((resolve, reject) => {
    const fail = (reason: string): void => {
      cleanup();
      client.disconnect();
      reject(new StoreUnavailableError(`cannot connect to Redis at ${where}: ${reason}`, { cause: lastError }));
    };
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: Error): void => {
      lastError = error;
      if (FATAL_AT_BOOT.test(`${error.message} ${(error as NodeJS.ErrnoException).code ?? ''}`)) fail(describe(error));
    };
    const timer = setTimeout(
      () => fail(lastError ? describe(lastError) : `not ready within ${options.connectTimeoutMs} ms`),
      options.connectTimeoutMs,
    );
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
    };
    client.on('ready', onReady);
    client.on('error', onError);
    client.connect().catch(() => undefined); // the outcome is reported through the events above
  });
  logger.log(`connected to Redis at ${where}`);
}

function describe(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}
