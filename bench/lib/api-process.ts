import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { NodeChild } from './node-child.js';

const API_MAIN = fileURLToPath(new URL('../../apps/api/src/main.js', import.meta.url));

/** A running API replica: its base URL and its process. */
export interface ApiReplica {
  url: string;
  pid: number;
  process: NodeChild;
}

/**
 * Starts the real API (dist/apps/api/src/main.js) as a user would, on a free port, over the Redis backend at
 * `redisUrl` with key prefix `keyPrefix` (replicas given the same prefix share one store and one change feed):
 * USE_REDIS=true, LOG_LEVEL=warn, REDIS_PERSISTENCE_CHECK=off (the bench Redis has no AOF on purpose), no API_KEYS
 * (open mode: no per-key rate limit). `env` adds or overrides variables. Ready once /health/ready answers 200.
 */
export async function startApi(redisUrl: string, keyPrefix: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<ApiReplica> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = await NodeChild.start(
    API_MAIN,
    nodeArgs,
    {
      USE_REDIS: 'true',
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      REDIS_PERSISTENCE_CHECK: 'off',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...env,
    },
    `${url}/health/ready`,
  );
  const pid = child.child.pid;
  if (pid === undefined) throw new Error('the API process has no pid');
  return { url, pid, process: child };
}
