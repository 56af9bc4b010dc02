/**
 * docker-compose.yml, without a Docker engine: parsed and checked (healthchecks, depends_on service_healthy, the
 * repo's redis.conf, a data volume, every API variable valid and documented); `docker-compose config` where it is
 * installed; and the same topology run as plain processes — redis-server from redis.conf with the compose file's
 * own password substitution and healthcheck, two API processes with the compose file's environment — where a
 * workflow written on one replica is read on the other.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { loadWorkflowStoreConfig } from '#workflow-store';
import { ApiProcess } from '../support/api-process.js';
import { randomId } from '../support/random-ids.js';
import { REPO_REDIS_CONF, startProductionRedis, type ProductionRedis } from '../support/repo-redis-conf.js';

interface Service {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const COMPOSE_FILE = join(process.cwd(), 'docker-compose.yml');
const text = readFileSync(COMPOSE_FILE, 'utf8');
const compose = parse(text, { merge: true }) as Compose;
const API_SERVICES = ['api-1', 'api-2'];

/** Compose interpolation of ${VAR}, ${VAR:?message} and ${VAR:-default}; `$$` is a literal `$`. */
function interpolate(value: string, env: Record<string, string>): string {
  return value
    .replace(/\$\{(\w+)(?::[?-]([^}]*))?\}/g, (_, name: string) => {
      const v = env[name];
      if (v === undefined) throw new Error(`${name} is not set`);
      return v;
    })
    .replace(/\$\$/g, '$');
}

describe('docker-compose.yml', () => {
  it('runs Redis with the repository redis.conf, a data volume, a healthcheck and no published port', () => {
    const redis = compose.services.redis as Service;
    expect(redis.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/^\.\/redis\.conf:.*:ro$/), expect.stringMatching(/^redis-data:\/data$/)]));
    expect(compose.volumes).toHaveProperty('redis-data');
    expect(redis.healthcheck?.test?.join(' ')).toMatch(/redis-cli .*ping/);
    expect(redis.ports).toBeUndefined();
    expect(JSON.stringify(redis.command)).toMatch(/redis-server \/tmp\/redis\.conf/);
  });

  it('runs two API replicas that wait for a healthy Redis and have their own readiness healthcheck', () => {
    for (const name of API_SERVICES) {
      const api = compose.services[name] as Service;
      expect(api.depends_on?.redis?.condition).toBe('service_healthy');
      expect(api.healthcheck?.test?.join(' ')).toMatch(/\/health\/ready/);
      expect(api.ports).toHaveLength(1);
    }
    expect(compose.services['api-1']?.ports).not.toEqual(compose.services['api-2']?.ports);
  });

  it('gives the replicas a valid, documented environment and keeps the password out of the file', () => {
    const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
    for (const name of API_SERVICES) {
      const env = compose.services[name]?.environment ?? {};
      expect(env.REDIS_PASSWORD).toMatch(/^\$\{WFS_REDIS_PASSWORD:\?[^}]+\}$/);
      const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v), { WFS_REDIS_PASSWORD: 'x', WFS_API_KEYS: 'x' })]));
      const options = loadWorkflowStoreConfig(resolved);
      expect(options).toMatchObject({ backend: 'redis', redis: { username: 'wfstore', keyPrefix: 'wfs', persistenceCheck: 'strict' } });
      const undocumented = Object.keys(env).filter((key) => !readme.includes(`\`${key}\``));
      expect(undocumented).toEqual([]);
      // Every variable carries a comment saying what it is for.
      const uncommented = Object.keys(env).filter((key) => !new RegExp(`^\\s+${key}: .*#`, 'm').test(text));
      expect(uncommented).toEqual([]);
    }
    expect(text).not.toMatch(/^\s+\w*PASSWORD: (?!\$\{)/m);
  });

  it('passes `docker-compose config` where Docker Compose is installed', () => {
    const candidates: [string, string[]][] = [
      ['docker-compose', ['-f', COMPOSE_FILE, 'config', '--quiet']],
      ['docker', ['compose', '-f', COMPOSE_FILE, 'config', '--quiet']],
    ];
    const found = candidates.find(([bin, args]) => spawnSync(bin, [...args.slice(0, args[0] === 'compose' ? 1 : 0), 'version'], { stdio: 'ignore' }).status === 0);
    if (!found) {
      console.log('docker-compose.yml: `docker-compose config` skipped: neither docker-compose nor the docker compose plugin is installed here');
      return;
    }
    const [bin, args] = found;
    const run = spawnSync(bin, args, { env: { ...process.env, WFS_REDIS_PASSWORD: 'compose-config-check', WFS_API_KEYS: 'compose-config-check' }, encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  });
});

describe('the compose topology run as processes', () => {
  let redis: ProductionRedis | undefined;
  const replicas: ApiProcess[] = [];
  afterAll(async () => {
    for (const api of replicas) await api.stop('SIGKILL');
    await redis?.server.stop();
  });

  it('serves a workflow written on one replica from the other', async () => {
    const password = `pw-${randomId('p')}$|&"x`; // characters a naive sed substitution would break on
    const key = `key-${randomId('k')}`;
    const env = { WFS_REDIS_PASSWORD: password, WFS_API_KEYS: `acme:write:${createHash('sha256').update(key).digest('hex')}` };
    const auth = { authorization: `Bearer ${key}` };

    // The Redis service's own start script, with the container paths pointed at this checkout, minus its exec.
    const command = compose.services.redis?.command as string[];
    const conf = join(mkdtempSync(join(tmpdir(), 'wfs-compose-')), 'redis.conf');
    const script = interpolate(command[2] as string, {})
      .replaceAll('/usr/local/etc/redis/redis.conf', REPO_REDIS_CONF)
      .replaceAll('/tmp/redis.conf', conf)
      .replace(/^exec .*redis-server .*$/m, '');
    execFileSync(command[0] as string, [command[1] as string, script], { env: { PATH: process.env.PATH ?? '', ...env } });
    redis = await startProductionRedis(conf, password);

    // The Redis healthcheck, pointed at this port.
    const health = (compose.services.redis?.healthcheck?.test ?? []) as string[];
    expect(health[0]).toBe('CMD-SHELL');
    const check = interpolate(health[1] as string, {}).replace('redis-cli ', `redis-cli -p ${redis.server.port} `);
    expect(spawnSync('sh', ['-c', check], { env: { PATH: process.env.PATH ?? '', ...env } }).status).toBe(0);
    expect(spawnSync('sh', ['-c', check], { env: { PATH: process.env.PATH ?? '', WFS_REDIS_PASSWORD: 'wrong' } }).status).not.toBe(0);

    for (const name of API_SERVICES) {
      const environment = compose.services[name]?.environment ?? {};
      const apiEnv = Object.fromEntries(
        Object.entries(environment)
          .filter(([key]) => key !== 'PORT' && key !== 'HOST') // ApiProcess picks a free port on 127.0.0.1
          .map(([key, value]) => [key, interpolate(String(value), env)]),
      );
      apiEnv.REDIS_URL = (apiEnv.REDIS_URL as string).replace('//redis:6379', `//127.0.0.1:${redis.server.port}`);
      replicas.push(await ApiProcess.start({ ...apiEnv, LOG_LEVEL: 'warn' }));
    }
    const [one, two] = replicas as [ApiProcess, ApiProcess];

    // The API healthcheck command, pointed at each replica.
    for (const api of replicas) {
      const test = (compose.services['api-1']?.healthcheck?.test ?? []) as string[];
      const [bin, ...args] = test.slice(1).map((a) => a.replace('127.0.0.1:3000', `127.0.0.1:${api.port}`));
      expect(spawnSync(bin === 'node' ? process.execPath : (bin as string), args).status).toBe(0);
    }

    const id = randomId('compose');
    const put = await fetch(`${one.url}/workflows/${id}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '{"type":"invoice","state":{"pages":1}}' });
    expect(put.status).toBe(201);
    expect((await fetch(`${two.url}/workflows/${id}`)).status).toBe(401); // production: no key, no answer
    const read = await fetch(`${two.url}/workflows/${id}`, { headers: auth });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, version: 1, state: { pages: 1 } });
    const patched = await fetch(`${two.url}/workflows/${id}`, { method: 'PATCH', headers: { ...auth, 'content-type': 'application/merge-patch+json', 'if-match': '"1"' }, body: '{"state":{"pages":2}}' });
    expect(patched.status).toBe(200);
    // The rate limiter's script ran as the ACL user (it fails open, so only its counter shows it works).
    const counters = (await redis.server.command('SCAN', 0, 'MATCH', 'wfs:ratelimit:*', 'COUNT', 1000)) as [string, string[]];
    expect(counters[1].length).toBeGreaterThan(0);
    expect(await (await fetch(`${one.url}/workflows/${id}`, { headers: auth })).json()).toMatchObject({ version: 2, state: { pages: 2 } });
  });
});
