/**
 * TLS to a real redis-server with certificates made here by openssl: the service connects with rediss:// and the
 * CA file, and refuses (exit non-zero, the certificate error in its log) a server it has no reason to trust.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiProcess } from '../support/api-process.js';
import { logTimes } from '../support/log-times.js';
import { freePorts } from '../support/free-port.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';

let dir: string;
let server: RedisServer;
let tlsPort: number;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, and a server certificate for localhost / 127.0.0.1 signed by it. */
async function makeCertificates(): Promise<void> {
  for (const ca of ['ca', 'rogue-ca']) {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${ca}`, '-keyout', `${ca}.key`, '-out', `${ca}.crt`);
  }
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'redis.key', '-out', 'redis.csr');
  openssl('x509', '-req', '-in', 'redis.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'redis.crt');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wfs-tls-'));
  await makeCertificates();
  let port: number;
  [port, tlsPort] = (await freePorts(2)) as [number, number];
  // The plain port stays open only for the test harness' readiness probe; the service is pointed at the TLS port.
  server = await RedisServer.start({
    port,
    args: ['--tls-port', String(tlsPort), '--tls-cert-file', join(dir, 'redis.crt'), '--tls-key-file', join(dir, 'redis.key'), '--tls-ca-cert-file', join(dir, 'ca.crt'), '--tls-auth-clients', 'no'],
  });
}, 30_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const base = (): Record<string, string> => ({ USE_REDIS: 'true', REDIS_KEY_PREFIX: randomPrefix(), REDIS_PERSISTENCE_CHECK: 'off', REDIS_CONNECT_TIMEOUT_MS: '2000' });

describe('Redis over TLS', () => {
  it('connects with rediss:// and REDIS_TLS_CA_FILE, and serves workflows', async () => {
    const api = await ApiProcess.start({ ...base(), REDIS_URL: `rediss://localhost:${tlsPort}`, REDIS_TLS_CA_FILE: join(dir, 'ca.crt') });
    try {
      const created = await fetch(`${api.url}/workflows`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'over-tls', type: 't', state: { a: 1 } }) });
      expect(created.status).toBe(201);
      expect(await (await fetch(`${api.url}/workflows/over-tls`)).json()).toMatchObject({ state: { a: 1 } });
    } finally {
      await api.stop();
    }
  });

  it('refuses a server whose certificate it does not trust: exit non-zero at once, the certificate error logged', async () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['no CA file (system CAs only)', { REDIS_URL: `rediss://localhost:${tlsPort}` }, /self[- ]signed|unable to (get|verify)|CERT/i],
      ['another CA', { REDIS_URL: `rediss://localhost:${tlsPort}`, REDIS_TLS_CA_FILE: join(dir, 'rogue-ca.crt') }, /self[- ]signed|unable to (get|verify)|CERT/i],
      ['a name the certificate does not carry', { REDIS_URL: `rediss://localhost:${tlsPort}`, REDIS_TLS_CA_FILE: join(dir, 'ca.crt'), REDIS_TLS_SERVERNAME: 'redis.example.com' }, /altnames|ALTNAME|does not match/i],
    ];
    for (const [name, env, cause] of cases) {
      const run = await ApiProcess.runToExit({ ...base(), ...env });
      expect({ name, code: run.code === 0 || run.code === null ? 'did not fail' : 'failed' }).toEqual({ name, code: 'failed' });
      expect({ name, cause: cause.test(run.output) }).toEqual({ name, cause: true });
      // At once: from the first log line to the fatal one is less than the 2 s connect timeout (the certificate error
      // is fatal, not retried until the timeout runs out). Node's own start-up, slow on a loaded machine, is outside
      // that span; the whole run only has to end (no hang).
      const times = logTimes(run.output);
      expect({ name, lines: times.length > 1 }).toEqual({ name, lines: true });
      const span = Math.max(...times) - Math.min(...times);
      expect({ name, span, withinConnectTimeout: span < 2000 }).toEqual({ name, span, withinConnectTimeout: true });
      expect(run.ms).toBeLessThan(15_000);
    }
  });

  it('refuses a CA file it cannot read, naming the variable', async () => {
    const run = await ApiProcess.runToExit({ ...base(), REDIS_URL: `rediss://localhost:${tlsPort}`, REDIS_TLS_CA_FILE: join(dir, 'missing.crt') });
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/REDIS_TLS_CA_FILE: cannot read .*missing\.crt \(ENOENT\)/);
  });
});
