import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from './redis-server.js';

/** The repository's production redis.conf. */
export const REPO_REDIS_CONF = join(process.cwd(), 'redis.conf');

/** The placeholder password hash in redis.conf that the deployer replaces. */
export const PASSWORD_PLACEHOLDER = /#0{64}/;

/** The service's ACL user in redis.conf. */
export const SERVICE_USER = 'wfstore';

export interface ProductionRedis {
  server: RedisServer;
  /** The service user's password (random per test). */
  password: string;
  /** A test-only admin, added on the command line, for inspection (SCAN, CLIENT LIST); redis.conf has none. */
  admin: { username: string; password: string };
}

/** redis.conf with its placeholder replaced by the SHA-256 of `password`, written to a temporary file. */
export function confWithPassword(password: string, conf = readFileSync(REPO_REDIS_CONF, 'utf8')): string {
  if (!PASSWORD_PLACEHOLDER.test(conf)) throw new Error('redis.conf has no password placeholder (#<64 zeros>)');
  const file = join(mkdtempSync(join(tmpdir(), 'wfs-conf-')), 'redis.conf');
  writeFileSync(file, conf.replace(PASSWORD_PLACEHOLDER, `#${createHash('sha256').update(password).digest('hex')}`));
  return file;
}

/**
 * redis-server started with the repository's redis.conf (port, bind, dir overridden on the command line, as a
 * deployer would) and a test-only admin user. `args` go after those, e.g. `--replicaof` for a replica.
 */
export async function startProductionRedis(configFile?: string, password = randomBytes(16).toString('hex'), args: string[] = []): Promise<ProductionRedis> {
  const admin = { username: 'testadmin', password: randomBytes(16).toString('hex') };
  const server = await RedisServer.start({
    configFile: configFile ?? confWithPassword(password),
    auth: admin,
    args: ['--user', admin.username, 'on', `>${admin.password}`, '~*', '&*', '+@all', ...args],
  });
  return { server, password, admin };
}
