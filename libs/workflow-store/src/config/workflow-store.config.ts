import { z } from 'zod';
import { InvalidConfigError } from '../errors/invalid-config.error.js';
import { tlsOptionsFrom } from './tls-files.js';
import { MAX_SHARDS } from '../redis/redis-keys.js';
import { DEFAULT_STATE_CACHE_BYTES } from '../shared/state-cache.js';
import type { RedisTlsOptions, WorkflowStoreOptions } from './workflow-store.options.js';

const DAY = 86_400;
/**
 * Default REDIS_SHARDS. 64 spreads a tenant over up to 64 masters and keeps each shard's index at 1/64 of the
 * tenant (1.5 M entries at 100 M workflows). An unfiltered list page costs the same at 16 and 1024 shards
 * (0.97x, BENCHMARKS.md); a page of a sparse filter reads about 1 + 100 x shards / matches shards, and count() and
 * the expiry sweep cost one command per shard, so more shards than masters need buys little.
 */
export const DEFAULT_SHARDS = 64;
/** Largest WORKFLOW_STATE_CACHE_BYTES: 1 GiB of heap for states is more than a Node process should hold. */
const MAX_STATE_CACHE_BYTES = 1024 * 1024 * 1024;
/** Largest WORKFLOW_HISTORY_VERSIONS: a history read walks every kept version inside Redis. */
export const MAX_HISTORY_VERSIONS = 1000;

/** An integer env variable within bounds; the message states the bounds so a bad value is fixed at once. */
function intVar(min: number, max: number, unit: string) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number of ${unit} between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min} ${unit}`).max(max, `must be at most ${max} ${unit}`));
}

/** `host:port,host:port`: Redis Cluster seeds or Sentinels. */
const hostPortList = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9.-]+:\d{1,5}(,[A-Za-z0-9.-]+:\d{1,5})*$/,
    'must be a comma-separated list of host:port (no spaces, no scheme), e.g. 10.0.0.1:7000,10.0.0.2:7000',
  )
  .transform((list) =>
    list.split(',').map((entry) => {
      const colon = entry.lastIndexOf(':');
      return { host: entry.slice(0, colon), port: Number(entry.slice(colon + 1)) };
    }),
  )
  .refine((nodes) => nodes.every((n) => n.port >= 1 && n.port <= 65535), 'every port must be between 1 and 65535');

const boolVar = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * The environment the store reads, validated once at boot. Every variable is documented in the README with
 * its default and bounds; keep the two in step.
 */
const envObject = z.object({
    USE_REDIS: boolVar.default(false),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
      .refine((url) => dbPathValid(url), 'must name a database between 0 and 15 after the host, if any (redis://host:6379/2)')
      .default('redis://127.0.0.1:6379'),
    REDIS_USERNAME: z.string().min(1).optional(),
    REDIS_PASSWORD: z.string().min(1).optional(),
    REDIS_DB: intVar(0, 15, 'database index').optional(),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'must be 1-32 characters of A-Z a-z 0-9 _ . - (no braces or colons)')
      .default('wfs'),
    REDIS_CONNECT_TIMEOUT_MS: intVar(100, 60_000, 'ms').optional(),
    REDIS_COMMAND_TIMEOUT_MS: intVar(50, 60_000, 'ms').optional(),
    /** Alias used by hand-rolled set-ups, in seconds. */
    REDIS_SOCKET_CONNECT_TIMEOUT: intVar(1, 60, 'seconds').optional(),
    /** Alias used by hand-rolled set-ups, in seconds. */
    REDIS_SOCKET_TIMEOUT: intVar(1, 60, 'seconds').optional(),
    REDIS_PERSISTENCE_CHECK: z.enum(['warn', 'strict', 'off'], { message: 'must be warn, strict or off' }).default('warn'),
    REDIS_PURGE_INTERVAL_MS: intVar(0, 3_600_000, 'ms').default(60_000),
    REDIS_SHARDS: intVar(1, MAX_SHARDS, 'shards').default(DEFAULT_SHARDS),
    IDEMPOTENCY_TTL: intVar(1, 365 * DAY, 'seconds').default(DAY),
    WORKFLOW_HISTORY_VERSIONS: intVar(0, MAX_HISTORY_VERSIONS, 'versions').default(10),
    EVENTS_RETENTION_SECONDS: intVar(0, 30 * DAY, 'seconds').default(DAY),
    EVENTS_MAX_PER_SHARD: intVar(100, 1_000_000, 'events').default(10_000),
    LEASE_MAX_TTL_MS: intVar(1000, DAY * 1000, 'ms').default(600_000),
    LEASE_SWEEP_INTERVAL_MS: intVar(0, 60_000, 'ms').default(1000),
    WORKFLOW_STATE_TTL: intVar(1, 365 * DAY, 'seconds').default(DAY),
    WORKFLOW_MAX_TTL: intVar(1, 365 * DAY, 'seconds').default(30 * DAY),
    WORKFLOW_MAX_STATE_BYTES: intVar(2, 16 * 1024 * 1024, 'bytes').default(1024 * 1024),
    WORKFLOW_STATE_CACHE_BYTES: intVar(0, MAX_STATE_CACHE_BYTES, 'bytes').default(DEFAULT_STATE_CACHE_BYTES),
    MEMORY_SNAPSHOT_PATH: z.string().min(1).optional(),
    REDIS_TLS_CA_FILE: z.string().min(1).optional(),
    REDIS_TLS_CERT_FILE: z.string().min(1).optional(),
    REDIS_TLS_KEY_FILE: z.string().min(1).optional(),
    REDIS_TLS_SERVERNAME: z.string().min(1).optional(),
    REDIS_CLUSTER_NODES: hostPortList.optional(),
    REDIS_SENTINELS: hostPortList.optional(),
    REDIS_SENTINEL_NAME: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be the master group name of the Sentinels: 1-64 characters of A-Z a-z 0-9 _ . -')
      .optional(),
    REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
    REDIS_DURABILITY: z.enum(['none', 'replica'], { message: 'must be none or replica' }).default('none'),
    REDIS_REPLICA_ACK_TIMEOUT_MS: intVar(1, 59_000, 'ms').optional(),
  });

export const workflowStoreEnvSchema = envObject
  .superRefine((env, ctx) => {
    if (env.WORKFLOW_STATE_TTL > env.WORKFLOW_MAX_TTL) {
      ctx.addIssue({
        code: 'custom',
        path: ['WORKFLOW_STATE_TTL'],
        message: `must not exceed WORKFLOW_MAX_TTL (${env.WORKFLOW_MAX_TTL})`,
      });
    }
    const aliasPairs = [
      ['REDIS_CONNECT_TIMEOUT_MS', 'REDIS_SOCKET_CONNECT_TIMEOUT'],
      ['REDIS_COMMAND_TIMEOUT_MS', 'REDIS_SOCKET_TIMEOUT'],
    ] as const;
    for (const [ms, seconds] of aliasPairs) {
      const a = env[ms];
      const b = env[seconds];
      if (a !== undefined && b !== undefined && a !== b * 1000) {
        ctx.addIssue({ code: 'custom', path: [seconds], message: `disagrees with ${ms}; set only one of them` });
      }
    }
    topologyIssues(env, ctx);
  });

/** Cluster xor Sentinel (with its name); no database index on a cluster; WAIT timeout below the command timeout. */
function topologyIssues(env: z.output<typeof envObject>, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string): void => ctx.addIssue({ code: 'custom', path: [path], message });
  if (env.REDIS_CLUSTER_NODES && env.REDIS_SENTINELS) {
    issue('REDIS_SENTINELS', 'cannot be combined with REDIS_CLUSTER_NODES: set one of them (Cluster or Sentinel)');
  }
  if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_NAME) issue('REDIS_SENTINEL_NAME', 'is required with REDIS_SENTINELS (the monitored master group name)');
  if (env.REDIS_SENTINEL_NAME && !env.REDIS_SENTINELS) issue('REDIS_SENTINEL_NAME', 'needs REDIS_SENTINELS (the Sentinels to ask for that master)');
  if (env.REDIS_CLUSTER_NODES && env.REDIS_DB !== undefined && env.REDIS_DB !== 0) {
    issue('REDIS_DB', 'must be 0 with REDIS_CLUSTER_NODES: Redis Cluster has only database 0');
  }
  const commandTimeoutMs = commandTimeoutOf(env);
  const ackTimeoutMs = env.REDIS_REPLICA_ACK_TIMEOUT_MS ?? DEFAULT_REPLICA_ACK_TIMEOUT_MS;
  if ((env.REDIS_DURABILITY === 'replica' || env.REDIS_REPLICA_ACK_TIMEOUT_MS !== undefined) && ackTimeoutMs >= commandTimeoutMs) {
    issue(
      'REDIS_REPLICA_ACK_TIMEOUT_MS',
      `must be below the command timeout (${commandTimeoutMs} ms, REDIS_COMMAND_TIMEOUT_MS): WAIT's answer must arrive before the write times out`,
    );
  }
}

/** Default WAIT timeout of REDIS_DURABILITY=replica: a healthy replica acknowledges within a millisecond on a LAN. */
const DEFAULT_REPLICA_ACK_TIMEOUT_MS = 250;

function commandTimeoutOf(env: { REDIS_COMMAND_TIMEOUT_MS?: number | undefined; REDIS_SOCKET_TIMEOUT?: number | undefined }): number {
  return env.REDIS_COMMAND_TIMEOUT_MS ?? (env.REDIS_SOCKET_TIMEOUT ?? 1) * 1000;
}

export type WorkflowStoreEnv = z.output<typeof workflowStoreEnvSchema>;

/** Keeps only the variables this schema knows, so unrelated environment never fails validation. */
function pickKnown(env: Record<string, string | undefined>): Record<string, string> {
  const known: Record<string, string> = {};
  for (const key of Object.keys(workflowStoreEnvSchema.shape)) {
    const value = env[key];
    if (value !== undefined) known[key] = value;
  }
  return known;
}

/** Validates the environment once and returns the store's options; throws `InvalidConfigError` naming every bad variable. */
export function loadWorkflowStoreConfig(env: Record<string, string | undefined> = process.env): WorkflowStoreOptions {
  const parsed = workflowStoreEnvSchema.safeParse(pickKnown(env));
  if (!parsed.success) {
    throw new InvalidConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.map(String).join('.');
        const given = env[name];
        const shown = name.includes('PASSWORD') || given === undefined ? '' : ` (got ${JSON.stringify(withoutCredentials(given))})`;
        return `${name}: ${issue.message}${shown}`;
      }),
    );
  }
  const problems: string[] = [];
  const tls = tlsOptionsFrom(parsed.data, problems);
  if (problems.length > 0) throw new InvalidConfigError(problems);
  return toOptions(parsed.data, tls);
}

function toOptions(env: WorkflowStoreEnv, tls: RedisTlsOptions | undefined): WorkflowStoreOptions {
  return {
    backend: env.USE_REDIS ? 'redis' : 'memory',
    limits: {
      defaultTtlSeconds: env.WORKFLOW_STATE_TTL,
      maxTtlSeconds: env.WORKFLOW_MAX_TTL,
      maxStateBytes: env.WORKFLOW_MAX_STATE_BYTES,
      idempotencyTtlSeconds: env.IDEMPOTENCY_TTL,
      historyVersions: env.WORKFLOW_HISTORY_VERSIONS,
      eventsRetentionSeconds: env.EVENTS_RETENTION_SECONDS,
      eventsMaxPerShard: env.EVENTS_MAX_PER_SHARD,
      leaseMaxTtlMs: env.LEASE_MAX_TTL_MS,
      leaseSweepIntervalMs: env.LEASE_SWEEP_INTERVAL_MS,
      stateCacheBytes: env.WORKFLOW_STATE_CACHE_BYTES,
    },
    redis: {
      url: env.REDIS_URL,
      username: env.REDIS_USERNAME,
      password: env.REDIS_PASSWORD,
      db: env.REDIS_DB ?? (env.REDIS_CLUSTER_NODES ? 0 : dbFromUrl(env.REDIS_URL)),
      keyPrefix: env.REDIS_KEY_PREFIX,
      ...(tls ? { tls } : {}),
      connectTimeoutMs: env.REDIS_CONNECT_TIMEOUT_MS ?? (env.REDIS_SOCKET_CONNECT_TIMEOUT ?? 2) * 1000,
      commandTimeoutMs: commandTimeoutOf(env),
      persistenceCheck: env.REDIS_PERSISTENCE_CHECK,
      purgeIntervalMs: env.REDIS_PURGE_INTERVAL_MS,
      shards: env.REDIS_SHARDS,
      ...(env.REDIS_CLUSTER_NODES ? { cluster: env.REDIS_CLUSTER_NODES } : {}),
      ...(env.REDIS_SENTINELS && env.REDIS_SENTINEL_NAME
        ? { sentinel: { sentinels: env.REDIS_SENTINELS, name: env.REDIS_SENTINEL_NAME, password: env.REDIS_SENTINEL_PASSWORD } }
        : {}),
      durability: env.REDIS_DURABILITY,
      replicaAckTimeoutMs: env.REDIS_REPLICA_ACK_TIMEOUT_MS ?? DEFAULT_REPLICA_ACK_TIMEOUT_MS,
    },
    memory: { snapshotPath: env.MEMORY_SNAPSHOT_PATH },
  };
}

/**
 * A bad value as an error message may show it: anything up to the last `@` could be credentials (in any scheme,
 * in a URL too broken to parse), so it is masked.
 */
function withoutCredentials(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 0) return value;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(value)?.[0] ?? '';
  return `${scheme}***${value.slice(at)}`;
}

/** The path of a Redis URL: nothing, `/`, or `/<db>` with db 0–15 (ioredis would silently use db 0, or crash on `select NaN`). */
function dbPathOf(url: string): string {
  const afterScheme = url.replace(/^rediss?:\/\//, '');
  const slash = afterScheme.indexOf('/', afterScheme.lastIndexOf('@') + 1);
  return slash < 0 ? '' : afterScheme.slice(slash + 1).replace(/[?#].*$/, '');
}

function dbPathValid(url: string): boolean {
  const path = dbPathOf(url);
  return path === '' || (/^\d{1,2}$/.test(path) && Number(path) <= 15);
}

function dbFromUrl(url: string): number {
  const path = dbPathOf(url);
  return path === '' ? 0 : Number(path);
}
