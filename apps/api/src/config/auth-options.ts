import { z } from 'zod';
import { parseApiKeyEntries } from '../auth/api-key-entry.js';
import type { apiEnvSchema, AuthOptions } from './api.config.js';

type ApiEnv = z.output<typeof apiEnvSchema>;

/**
 * Keys from API_KEYS and API_KEYS_FILE mean `keys` mode. Without keys the service runs open only on purpose
 * (AUTH_MODE=none) or outside production; in production it refuses to start.
 */
export function authOptionsFrom(env: ApiEnv): AuthOptions {
  const entries = env.API_KEYS ? parseApiKeyEntries(env.API_KEYS, 'API_KEYS') : [];
  const hasKeys = entries.length > 0 || env.API_KEYS_FILE !== undefined;
  if (env.AUTH_MODE === 'none') {
    if (hasKeys) throw new Error('AUTH_MODE=none contradicts API_KEYS / API_KEYS_FILE: remove one');
    return { mode: 'open', reason: 'AUTH_MODE=none' };
  }
  if (hasKeys) return env.API_KEYS_FILE === undefined ? { mode: 'keys', entries } : { mode: 'keys', entries, keysFile: env.API_KEYS_FILE };
  if (env.AUTH_MODE === 'keys') throw new Error('AUTH_MODE=keys needs API_KEYS or API_KEYS_FILE');
  if (env.NODE_ENV === 'production') {
    throw new Error('NODE_ENV=production needs API_KEYS or API_KEYS_FILE (or AUTH_MODE=none to run without authentication on purpose)');
  }
  return { mode: 'open', reason: `no API_KEYS and NODE_ENV=${env.NODE_ENV ?? '(unset)'}` };
}
