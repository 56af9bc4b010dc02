import {
  createWorkflowStore,
  describeRedisTarget,
  InvalidConfigError,
  loadWorkflowStoreConfig,
  type StoreLogger,
  type WorkflowStore,
  type WorkflowStoreOptions,
} from '#workflow-store';
import { CliError } from '../cli-error.js';
import type { CliOutput } from './cli-output.js';

export interface OpenedStore {
  store: WorkflowStore;
  /** The store as messages name it, without secrets. */
  name: string;
}

/** `--to` / `--redis-url` are shorthands for USE_REDIS=true REDIS_URL=<url>; without one the environment decides. */
export function redisOverrides(redisUrl: string | undefined): Record<string, string> {
  return redisUrl ? { USE_REDIS: 'true', REDIS_URL: redisUrl } : {};
}

/**
 * Opens the store a command works on, configured like the API (the same variables, see the README), with
 * `overrides` laid over the environment. A memory store without a snapshot file would start empty and forget
 * everything at exit, so it is refused.
 */
export async function openStore(overrides: Record<string, string>, output: CliOutput): Promise<OpenedStore> {
  const config = loadCliConfig(overrides);
  if (config.backend === 'memory' && !config.memory.snapshotPath) {
    throw new CliError('the memory backend keeps nothing without MEMORY_SNAPSHOT_PATH: set it, or use Redis (--redis-url or USE_REDIS=true)');
  }
  const store = createWorkflowStore(config, cliLogger(output));
  try {
    await store.connect();
  } catch (error) {
    throw new CliError(`cannot open the store: ${(error as Error).message}`);
  }
  const name = config.backend === 'redis' ? describeRedisTarget(config.redis) : `memory snapshot ${config.memory.snapshotPath ?? ''}`;
  return { store, name };
}

/** The store's configuration from the environment with `overrides` laid over it; a bad variable is a usage error. */
export function loadCliConfig(overrides: Record<string, string>): WorkflowStoreOptions {
  try {
    return loadWorkflowStoreConfig({ ...stringEntries(process.env), ...overrides });
  } catch (error) {
    if (error instanceof InvalidConfigError) throw new CliError(`invalid configuration: ${error.problems.join('; ')}`);
    throw error;
  }
}

function stringEntries(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** Warnings and errors from the store (e.g. the persistence check) reach the user; routine logs do not. */
export function cliLogger(output: CliOutput): StoreLogger {
  return {
    log: () => undefined,
    warn: (message: string) => output.message(`warning: ${message}`),
    error: (message: string) => output.message(`error: ${message}`),
  };
}
