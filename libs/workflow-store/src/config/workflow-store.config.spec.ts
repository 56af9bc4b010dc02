import { describe, expect, it } from '@jest/globals';
import { InvalidConfigError } from '../errors/invalid-config.error.js';
import { loadWorkflowStoreConfig } from './workflow-store.config.js';

describe('loadWorkflowStoreConfig', () => {
  it('gives the memory backend and documented defaults with an empty environment', () => {
    const options = loadWorkflowStoreConfig({});
    expect(options.backend).toBe('memory');
    expect(options.limits).toEqual({
      defaultTtlSeconds: 86_400,
      maxTtlSeconds: 2_592_000,
      maxStateBytes: 1_048_576,
      idempotencyTtlSeconds: 86_400,
      historyVersions: 10,
      eventsRetentionSeconds: 86_400,
      eventsMaxPerShard: 10_000,
      leaseMaxTtlMs: 600_000,
      leaseSweepIntervalMs: 1000,
      stateCacheBytes: 33_554_432,
    });
    expect(options.redis).toMatchObject({
      url: 'redis://127.0.0.1:6379',
      db: 0,
      keyPrefix: 'wfs',
      connectTimeoutMs: 2000,
      commandTimeoutMs: 1000,
      persistenceCheck: 'warn',
      purgeIntervalMs: 60_000,
    });
  });

  it('refuses a database in REDIS_URL outside 0-15 or not a number, naming the variable, and accepts 0-15', () => {
    for (const url of ['redis://host:6379/99', 'redis://host:6379/abc', 'redis://host:6379/16', 'redis://u:p@host:6379/-1']) {
      expect(() => loadWorkflowStoreConfig({ USE_REDIS: 'true', REDIS_URL: url })).toThrow(/REDIS_URL: must name a database between 0 and 15/);
    }
    for (const [url, db] of [['redis://host:6379/15', 15], ['redis://host:6379/', 0], ['redis://host', 0], ['rediss://u:p%2Fq@host:6379/2', 2]] as const) {
      expect(loadWorkflowStoreConfig({ USE_REDIS: 'true', REDIS_URL: url }).redis.db).toBe(db);
    }
  });

  it('bounds REDIS_SHARDS (1-16384, default 64) and IDEMPOTENCY_TTL (1 s - 365 d, default 86400)', () => {
    expect(loadWorkflowStoreConfig({}).redis.shards).toBe(64);
    expect(loadWorkflowStoreConfig({ REDIS_SHARDS: '4096' }).redis.shards).toBe(4096);
    expect(() => loadWorkflowStoreConfig({ REDIS_SHARDS: '0' })).toThrow(/REDIS_SHARDS: must be at least 1/);
    expect(() => loadWorkflowStoreConfig({ REDIS_SHARDS: '16385' })).toThrow(/REDIS_SHARDS: must be at most 16384/);
    expect(loadWorkflowStoreConfig({ IDEMPOTENCY_TTL: '60' }).limits.idempotencyTtlSeconds).toBe(60);
    expect(() => loadWorkflowStoreConfig({ IDEMPOTENCY_TTL: '0' })).toThrow(/IDEMPOTENCY_TTL/);
    expect(loadWorkflowStoreConfig({ WORKFLOW_HISTORY_VERSIONS: '0' }).limits.historyVersions).toBe(0);
    expect(() => loadWorkflowStoreConfig({ WORKFLOW_HISTORY_VERSIONS: '1001' })).toThrow(/WORKFLOW_HISTORY_VERSIONS: must be at most 1000/);
    expect(loadWorkflowStoreConfig({ WORKFLOW_STATE_CACHE_BYTES: '0' }).limits.stateCacheBytes).toBe(0);
    expect(loadWorkflowStoreConfig({ WORKFLOW_STATE_CACHE_BYTES: '1073741824' }).limits.stateCacheBytes).toBe(1_073_741_824);
    expect(() => loadWorkflowStoreConfig({ WORKFLOW_STATE_CACHE_BYTES: '1073741825' })).toThrow(/WORKFLOW_STATE_CACHE_BYTES: must be at most 1073741824/);
    expect(() => loadWorkflowStoreConfig({ WORKFLOW_STATE_CACHE_BYTES: '-1' })).toThrow(/WORKFLOW_STATE_CACHE_BYTES/);
    expect(loadWorkflowStoreConfig({ EVENTS_RETENTION_SECONDS: '0' }).limits.eventsRetentionSeconds).toBe(0);
    expect(() => loadWorkflowStoreConfig({ EVENTS_RETENTION_SECONDS: '2592001' })).toThrow(/EVENTS_RETENTION_SECONDS: must be at most 2592000/);
    expect(() => loadWorkflowStoreConfig({ EVENTS_MAX_PER_SHARD: '99' })).toThrow(/EVENTS_MAX_PER_SHARD: must be at least 100/);
  });

  it('switches to Redis with USE_REDIS=true and reads the db from the URL', () => {
    const options = loadWorkflowStoreConfig({ USE_REDIS: 'true', REDIS_URL: 'redis://cache:6380/3' });
    expect(options.backend).toBe('redis');
    expect(options.redis.db).toBe(3);
  });

  it('accepts the seconds-based aliases of hand-rolled set-ups', () => {
    const options = loadWorkflowStoreConfig({ REDIS_SOCKET_TIMEOUT: '2', REDIS_SOCKET_CONNECT_TIMEOUT: '5' });
    expect(options.redis.commandTimeoutMs).toBe(2000);
    expect(options.redis.connectTimeoutMs).toBe(5000);
  });

  it('names every bad variable and what is allowed, without echoing passwords', () => {
    let error: unknown;
    try {
      loadWorkflowStoreConfig({
        USE_REDIS: 'maybe',
        WORKFLOW_STATE_TTL: 'abc',
        REDIS_KEY_PREFIX: 'a{b}',
        REDIS_COMMAND_TIMEOUT_MS: '10',
        REDIS_URL: 'http://x',
        REDIS_PASSWORD: '',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    const message = (error as Error).message;
    for (const name of ['USE_REDIS', 'WORKFLOW_STATE_TTL', 'REDIS_KEY_PREFIX', 'REDIS_COMMAND_TIMEOUT_MS', 'REDIS_URL', 'REDIS_PASSWORD']) {
      expect(message).toContain(name);
    }
    expect(message).toContain('at least 50');
    expect(message).not.toContain('REDIS_PASSWORD: Too small (got');
  });

  it('never shows credentials of a bad URL in the message, whatever the scheme or how broken the URL is', () => {
    for (const url of ['http://user:hunter2@host', 'redis://:hunter2@host:notaport/x y', 'redis://:p@ss/w@rd-hunter2@host x', 'hunter2@garbage']) {
      expect(() => loadWorkflowStoreConfig({ REDIS_URL: url })).toThrow(InvalidConfigError);
      try {
        loadWorkflowStoreConfig({ REDIS_URL: url });
      } catch (error) {
        expect((error as Error).message).toContain('REDIS_URL');
        expect((error as Error).message).not.toContain('hunter2');
      }
    }
  });

  it('refuses a default TTL above the maximum and aliases that disagree', () => {
    expect(() => loadWorkflowStoreConfig({ WORKFLOW_STATE_TTL: '100', WORKFLOW_MAX_TTL: '10' })).toThrow(/WORKFLOW_STATE_TTL: must not exceed WORKFLOW_MAX_TTL/);
    expect(() => loadWorkflowStoreConfig({ REDIS_COMMAND_TIMEOUT_MS: '500', REDIS_SOCKET_TIMEOUT: '2' })).toThrow(/REDIS_SOCKET_TIMEOUT: disagrees/);
  });

  it('ignores variables it does not know', () => {
    expect(loadWorkflowStoreConfig({ PATH: '/bin', SOMETHING_ELSE: 'x' }).backend).toBe('memory');
  });

  it('selects Cluster with REDIS_CLUSTER_NODES and Sentinel with REDIS_SENTINELS + REDIS_SENTINEL_NAME', () => {
    const cluster = loadWorkflowStoreConfig({ USE_REDIS: 'true', REDIS_CLUSTER_NODES: '10.0.0.1:7000,redis-b.local:7001' }).redis;
    expect(cluster.cluster).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b.local', port: 7001 },
    ]);
    expect(cluster.sentinel).toBeUndefined();
    expect(cluster.db).toBe(0);
    const sentinel = loadWorkflowStoreConfig({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'wf-master', REDIS_SENTINEL_PASSWORD: 'x' }).redis;
    expect(sentinel.sentinel).toEqual({ sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }], name: 'wf-master', password: 'x' });
    expect(sentinel.cluster).toBeUndefined();
    const plain = loadWorkflowStoreConfig({}).redis;
    expect(plain.cluster).toBeUndefined();
    expect(plain.sentinel).toBeUndefined();
    expect(plain.durability).toBe('none');
    expect(plain.replicaAckTimeoutMs).toBe(250);
  });

  it('refuses malformed node lists, both topologies at once, a Sentinel without its name, and a database on a cluster', () => {
    expect(() => loadWorkflowStoreConfig({ REDIS_CLUSTER_NODES: 'redis://a:7000' })).toThrow(/REDIS_CLUSTER_NODES: must be a comma-separated list of host:port/);
    expect(() => loadWorkflowStoreConfig({ REDIS_CLUSTER_NODES: 'a:7000, b:7001' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => loadWorkflowStoreConfig({ REDIS_CLUSTER_NODES: 'a:70000' })).toThrow(/REDIS_CLUSTER_NODES: every port must be between 1 and 65535/);
    expect(() => loadWorkflowStoreConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_SENTINELS: 'b:26379', REDIS_SENTINEL_NAME: 'm' })).toThrow(
      /REDIS_SENTINELS: cannot be combined with REDIS_CLUSTER_NODES/,
    );
    expect(() => loadWorkflowStoreConfig({ REDIS_SENTINELS: 'b:26379' })).toThrow(/REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS/);
    expect(() => loadWorkflowStoreConfig({ REDIS_SENTINEL_NAME: 'm' })).toThrow(/REDIS_SENTINEL_NAME: needs REDIS_SENTINELS/);
    expect(() => loadWorkflowStoreConfig({ REDIS_SENTINELS: 'b:26379', REDIS_SENTINEL_NAME: 'a b' })).toThrow(/REDIS_SENTINEL_NAME: must be the master group name/);
    expect(() => loadWorkflowStoreConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_DB: '2' })).toThrow(/REDIS_DB: must be 0 with REDIS_CLUSTER_NODES/);
  });

  it('reads REDIS_DURABILITY and keeps the WAIT timeout below the command timeout', () => {
    const replica = loadWorkflowStoreConfig({ REDIS_DURABILITY: 'replica', REDIS_REPLICA_ACK_TIMEOUT_MS: '400' }).redis;
    expect(replica.durability).toBe('replica');
    expect(replica.replicaAckTimeoutMs).toBe(400);
    expect(() => loadWorkflowStoreConfig({ REDIS_DURABILITY: 'all' })).toThrow(/REDIS_DURABILITY: must be none or replica/);
    expect(() => loadWorkflowStoreConfig({ REDIS_DURABILITY: 'replica', REDIS_REPLICA_ACK_TIMEOUT_MS: '1000' })).toThrow(
      /REDIS_REPLICA_ACK_TIMEOUT_MS: must be below the command timeout \(1000 ms/,
    );
    expect(() => loadWorkflowStoreConfig({ REDIS_DURABILITY: 'replica', REDIS_COMMAND_TIMEOUT_MS: '200' })).toThrow(/REDIS_REPLICA_ACK_TIMEOUT_MS: must be below/);
    expect(() => loadWorkflowStoreConfig({ REDIS_REPLICA_ACK_TIMEOUT_MS: '0' })).toThrow(/REDIS_REPLICA_ACK_TIMEOUT_MS: must be at least 1/);
  });
});
