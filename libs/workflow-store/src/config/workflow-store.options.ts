/** What to do when Redis is configured so that it can lose acknowledged writes (no AOF, an evicting policy). */
export type PersistenceCheckMode = 'warn' | 'strict' | 'off';

/** TLS to Redis (files already read). Present means TLS is on; certificates are always verified. */
export interface RedisTlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
}

/** A Redis Cluster seed node or a Sentinel. */
export interface RedisHostPort {
  host: string;
  port: number;
}

/**
 * How the commands of one process share a socket write (standalone and Sentinel; a Cluster client is left as it is).
 * Each command stays its own either way, with its own reply, error and timeout; only system calls are shared.
 * - `microtasks` (default): the commands issued before the current microtasks have run. Best for a process that
 *   issues its commands from one continuation (a worker awaiting many reads): they leave at once.
 * - `event-loop-turn`: the commands of every callback of the event loop's turn, written on `setImmediate`. Best for a
 *   server, whose requests each arrive in a callback of their own: measured with the API on 1 Dec, 1 KB GET/s +25 to
 *   +40 % (the API sets it); a worker's direct reads were ~12 % slower with it.
 */
export type CommandBatching = 'microtasks' | 'event-loop-turn';

/** `none`: a write is acknowledged once the master applied it. `replica`: only once `WAIT 1` confirms a replica has it. */
export type RedisDurability = 'none' | 'replica';

export interface RedisOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://` for TLS. Ignored (except for TLS and credentials) with `cluster` or `sentinel`. */
  url: string;
  /** Redis Cluster seed nodes (REDIS_CLUSTER_NODES): set means Cluster mode. */
  cluster?: RedisHostPort[];
  /** Sentinels and the master group name (REDIS_SENTINELS, REDIS_SENTINEL_NAME): set means Sentinel mode. */
  sentinel?: { sentinels: RedisHostPort[]; name: string; password?: string };
  /** Default `none`. */
  durability?: RedisDurability;
  /** How long `WAIT 1` waits for a replica in `replica` durability; below `commandTimeoutMs`. */
  replicaAckTimeoutMs?: number;
  /** Default `microtasks`: see CommandBatching. Not an environment variable: the program using the store knows its shape. */
  commandBatching?: CommandBatching;
  username?: string;
  password?: string;
  db: number;
  tls?: RedisTlsOptions;
  /** Every key starts with it; `[A-Za-z0-9_.-]`, 1–32 characters. */
  keyPrefix: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  persistenceCheck: PersistenceCheckMode;
  /** How often stale index entries of expired workflows are swept (0 = only as a side effect of writes). */
  purgeIntervalMs: number;
  /** Shards per tenant (REDIS_SHARDS), 1–16384: part of the storage format, recorded per tenant and checked. */
  shards: number;
  /**
   * `enforce` (default): refuse to start (or to serve a tenant) when the data found is in another format or shard
   * count. `off`: only for the upgrade command, which reads and writes across formats on purpose.
   */
  formatCheck?: 'enforce' | 'off';
}

export interface LimitsOptions {
  /** Default sliding TTL in seconds. */
  defaultTtlSeconds: number;
  /** Largest per-workflow TTL a caller may ask for. */
  maxTtlSeconds: number;
  /** Largest state, in bytes of its JSON. */
  maxStateBytes: number;
  /** How long an idempotency key (operation id) is remembered, in seconds (never longer than its workflow lives). */
  idempotencyTtlSeconds: number;
  /** Earlier versions kept per workflow (WORKFLOW_HISTORY_VERSIONS), 0 = no history. */
  historyVersions: number;
  /** How long the change feed keeps events, in seconds (EVENTS_RETENTION_SECONDS); 0 = no events are recorded. */
  eventsRetentionSeconds: number;
  /** The feed's size cap: events kept per shard at most (EVENTS_MAX_PER_SHARD), trimmed approximately. */
  eventsMaxPerShard: number;
  /** Longest lease a caller may ask for, in ms (LEASE_MAX_TTL_MS). */
  leaseMaxTtlMs: number;
  /** How often expired leases are looked for, in ms (LEASE_SWEEP_INTERVAL_MS); 0 = never (no stalled marks). */
  leaseSweepIntervalMs: number;
  /**
   * Bytes of states the store keeps of what this process last read or wrote per workflow, so an update at that
   * version merges without reading (WORKFLOW_STATE_CACHE_BYTES); 0 = off. Default 32 MiB when absent.
   */
  stateCacheBytes?: number;
}

/** Everything the store needs, already validated. Build it with `loadWorkflowStoreConfig(env)` or by hand. */
export interface WorkflowStoreOptions {
  backend: 'redis' | 'memory';
  limits: LimitsOptions;
  redis: RedisOptions;
  memory: {
    /** Where the memory backend loads its contents at start and writes them at close; unset = nothing kept. */
    snapshotPath?: string;
  };
}
