import { InvalidConfigError } from '../errors/invalid-config.error.js';
import type { PersistenceCheckMode } from '../config/workflow-store.options.js';
import type { StoreLogger } from '../shared/store-logger.js';
import { isCluster, type StoreRedisClient } from './redis-client.types.js';

/** Redis 7.0 is the oldest with every command the scripts use (PEXPIRETIME, SET PXAT, script flags). */
const MIN_MAJOR = 7;

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/**
 * Reads `INFO` (no CONFIG: managed Redis often blocks it) and reports settings that lose acknowledged writes:
 * no AOF (a crash loses everything since the last RDB save) and any evicting `maxmemory-policy` (measured: with
 * volatile-lru 4 069 of 5 000 acknowledged workflows were evicted). `strict` refuses to start, `warn` logs loudly.
 */
export async function checkRedisServer(client: StoreRedisClient, mode: PersistenceCheckMode, logger: StoreLogger): Promise<void> {
  // On a Cluster every master holds a share of the workflows: each is checked (INFO without a key would go to any
  // one node). Under Sentinel the client is connected to the current master, which is what INFO reads.
  const masters = isCluster(client) ? client.nodes('master') : [client];
  for (const node of masters) {
    const where = isCluster(client) ? ` (node ${String(node.options.host)}:${String(node.options.port)})` : '';
    checkOneServer(await node.info(), where, mode, logger);
  }
}

function checkOneServer(info: string, where: string, mode: PersistenceCheckMode, logger: StoreLogger): void {
  const version = infoField(info, 'redis_version') ?? '0';
  if (Number(version.split('.')[0]) < MIN_MAJOR) {
    throw new InvalidConfigError([`Redis ${version}${where} is too old: workflow-store needs Redis ${MIN_MAJOR}.0 or newer`]);
  }
  if (mode === 'off') return;
  const problems: string[] = [];
  if (infoField(info, 'aof_enabled') !== '1') {
    problems.push(`appendonly is off${where}: a Redis crash or restart loses every write since the last RDB snapshot (set appendonly yes)`);
  }
  const policy = infoField(info, 'maxmemory_policy');
  if (policy && policy !== 'noeviction') {
    problems.push(`maxmemory-policy is ${policy}${where}: Redis will silently evict live workflows when memory is full (set noeviction)`);
  }
  if (problems.length === 0) return;
  if (mode === 'strict') {
    throw new InvalidConfigError(problems.map((p) => `REDIS_PERSISTENCE_CHECK=strict: ${p}`));
  }
  for (const problem of problems) logger.warn(`DATA AT RISK: ${problem}. Set REDIS_PERSISTENCE_CHECK=strict to refuse to start.`);
}
