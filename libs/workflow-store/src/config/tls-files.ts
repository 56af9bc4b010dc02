import { readFileSync } from 'node:fs';
import type { RedisTlsOptions } from './workflow-store.options.js';

export interface TlsEnv {
  REDIS_URL: string;
  REDIS_TLS_CA_FILE?: string;
  REDIS_TLS_CERT_FILE?: string;
  REDIS_TLS_KEY_FILE?: string;
  REDIS_TLS_SERVERNAME?: string;
}

/**
 * TLS to Redis: on with a `rediss://` URL or any REDIS_TLS_* file. Files are read once here, so a missing or
 * unreadable one stops the boot with its name instead of failing at the first connection. Certificates are always
 * verified: there is no setting that turns verification off.
 */
export function tlsOptionsFrom(env: TlsEnv, problems: string[]): RedisTlsOptions | undefined {
  const read = (name: keyof TlsEnv): Buffer | undefined => {
    const path = env[name];
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      problems.push(`${name}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      return undefined;
    }
  };
  const files = { ca: read('REDIS_TLS_CA_FILE'), cert: read('REDIS_TLS_CERT_FILE'), key: read('REDIS_TLS_KEY_FILE') };
  if ((env.REDIS_TLS_CERT_FILE === undefined) !== (env.REDIS_TLS_KEY_FILE === undefined)) {
    problems.push('REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE: give both (a client certificate needs its key) or neither');
  }
  const anyTls = env.REDIS_URL.startsWith('rediss://') || Object.values(files).some((f) => f !== undefined) || env.REDIS_TLS_SERVERNAME !== undefined;
  if (!anyTls) return undefined;
  const tls: RedisTlsOptions = {};
  if (files.ca) tls.ca = files.ca;
  if (files.cert) tls.cert = files.cert;
  if (files.key) tls.key = files.key;
  if (env.REDIS_TLS_SERVERNAME) tls.servername = env.REDIS_TLS_SERVERNAME;
  return tls;
}
