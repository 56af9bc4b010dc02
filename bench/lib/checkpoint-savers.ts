import { MemorySaver, type BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { WorkflowCheckpointSaver } from '#workflow-store';
import pg from 'pg';
import type { RedisProcess } from './redis-process.js';
import { redisStore } from './store-factory.js';

/** A checkpointer under test and how to let go of what it holds. */
export interface SaverUnderTest {
  /** Short name for ids and logs: ours, memory, pg-10, pg-32, pg-async. */
  key: string;
  label: string;
  saver: BaseCheckpointSaver;
  close(): Promise<void>;
}

/** TTL of every checkpoint of ours: longer than the run, so nothing measured expires. */
const TTL_SECONDS = 3600;

/**
 * Ours as an application builds it: the store on the bench Redis (own key prefix, no periodic sweeps, so nothing but
 * the saver talks to Redis while its round trips are counted), `new WorkflowCheckpointSaver(store, { ttlSeconds })`.
 */
export async function ourSaver(redis: RedisProcess): Promise<SaverUnderTest> {
  const store = await redisStore(redis.url, 'ckpt', { REDIS_PURGE_INTERVAL_MS: '0', LEASE_SWEEP_INTERVAL_MS: '0' });
  return {
    key: 'ours',
    label: `WorkflowCheckpointSaver (Redis store, ttlSeconds ${TTL_SECONDS})`,
    saver: new WorkflowCheckpointSaver(store, { ttlSeconds: TTL_SECONDS }),
    close: () => store.close(),
  };
}

export function memorySaver(): SaverUnderTest {
  return { key: 'memory', label: 'MemorySaver (in process)', saver: new MemorySaver(), close: async () => undefined };
}

export interface PostgresSaverOptions {
  /** Connections of the pool (pg's default is 10). */
  max: number;
  /** `synchronous_commit=off` for this pool's sessions: a commit does not wait for its WAL flush (not durable). */
  asyncCommit?: boolean;
  /** Called with every statement a pooled connection sends (to count round trips). */
  onStatement?: () => void;
}

/**
 * `new PostgresSaver(pool)` on the bench's PostgreSQL, tables made by `setup()`. Pooled connections are never closed
 * for idleness (a pool idle between rounds would otherwise reconnect inside a measured run).
 */
export async function postgresSaver(url: string, options: PostgresSaverOptions): Promise<SaverUnderTest> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max,
    idleTimeoutMillis: 0,
    ...(options.asyncCommit ? { options: '-c synchronous_commit=off' } : {}),
  });
  pool.on('error', () => undefined); // an idle client's error (server stopped at the end) must not crash the bench
  const onStatement = options.onStatement;
  if (onStatement) {
    pool.on('connect', (client) => {
      // pg's query() has a dozen overloads; the wrapper only counts and passes every argument through unchanged.
      const target = client as unknown as { query: (...args: unknown[]) => unknown };
      const query = target.query.bind(client);
      target.query = (...args: unknown[]): unknown => {
        onStatement();
        return query(...args);
      };
    });
  }
  const saver = new PostgresSaver(pool);
  await saver.setup();
  const commit = options.asyncCommit ? 'synchronous_commit=off' : 'durable defaults';
  return {
    key: options.asyncCommit ? 'pg-async' : `pg-${options.max}`,
    label: `PostgresSaver (pool of ${options.max}, ${commit})`,
    saver,
    close: () => saver.end(),
  };
}
