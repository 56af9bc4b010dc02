/**
 * T11 (RELIABILITY.md): the API boots against Redis that is down, refuses its password, or presents a certificate
 * nobody configured trust for. ioredis' connect() only says "Connection is closed."; the real cause arrives on the
 * `error` event. Pass: the process exits non-zero within REDIS_CONNECT_TIMEOUT_MS + 1 s of starting to boot (from
 * Nest's first log line; loading Node and the modules before it takes ~1 s more on a busy 2-core machine, reported
 * too) and its log names the real cause.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ApiProcess } from '../support/api-process.js';
import { freePort, freePorts } from '../support/free-port.js';
import { RedisServer } from '../support/redis-server.js';

/** The default REDIS_CONNECT_TIMEOUT_MS. */
const CONNECT_TIMEOUT_MS = 2000;
const EXIT_BOUND_MS = CONNECT_TIMEOUT_MS + 1000;

/** A throw-away CA and a server certificate for 127.0.0.1 signed by it (openssl, ~100 ms). */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=wfs-test-ca');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'redis.key', '-out', 'redis.csr', '-subj', '/CN=localhost');
  run('x509', '-req', '-in', 'redis.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'redis.crt', '-days', '1');
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'redis.crt'), key: join(dir, 'redis.key') };
}

describe('T11 boot fails fast with the real cause', () => {
  const servers: RedisServer[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const boot = (env: Record<string, string>) => ApiProcess.runToExit({ LOG_LEVEL: 'info', ...env });
  const expectFailedBoot = (run: { code: number | null; output: string; ms: number; endedAt: number }, cause: RegExp, label: string): void => {
    const lines = run.output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg?: string; time?: number });
    const bootStartedAt = lines.find((line) => line.msg === 'Starting Nest application...')?.time ?? NaN;
    const bootMs = run.endedAt - bootStartedAt;
    console.log(`T11 ${label}: exit ${run.code} ${bootMs} ms after boot started (${run.ms} ms after spawn); cause ${cause.exec(run.output)?.[0] ?? 'NOT FOUND'}`);
    expect(run.code).not.toBeNull();
    expect(run.code).not.toBe(0);
    expect(bootMs).toBeLessThanOrEqual(EXIT_BOUND_MS);
    expect(run.output).toMatch(/failed to start/);
    expect(run.output).toMatch(cause);
    // The fatal line is pino JSON like every other (level 60 = fatal), with its time and pid.
    const fatal = run.output.split('\n').find((line) => line.includes('failed to start')) ?? '';
    expect(JSON.parse(fatal)).toMatchObject({ level: 60, pid: expect.any(Number), time: expect.any(Number), msg: expect.stringMatching(/^workflow-store API failed to start: /) });
  };

  it('Redis down: ECONNREFUSED', async () => {
    const port = await freePort();
    const run = await boot({ USE_REDIS: 'true', REDIS_URL: `redis://127.0.0.1:${port}` });
    expectFailedBoot(run, /ECONNREFUSED/, 'Redis down');
  });

  it('wrong password: WRONGPASS', async () => {
    const redis = await RedisServer.start({ args: ['--user', 'wfstore', 'on', '>right-password', '~*', '+@all'] });
    servers.push(redis);
    const run = await boot({ USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_USERNAME: 'wfstore', REDIS_PASSWORD: 'wrong-password' });
    expectFailedBoot(run, /WRONGPASS/, 'wrong password');
    expect(run.output).not.toContain('wrong-password');
  });

  it('untrusted certificate: the TLS verification error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfs-tls-'));
    dirs.push(dir);
    const { ca, cert, key } = makeCertificates(dir);
    // Both ports from one call: two freePort() calls can return the same port.
    const [port, tlsPort] = (await freePorts(2)) as [number, number];
    const redis = await RedisServer.start({
      port,
      args: ['--tls-port', String(tlsPort), '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', ca, '--tls-auth-clients', 'no'],
    });
    servers.push(redis);
    // No CA configured on the client side: Node trusts only its built-in roots.
    const run = await boot({ USE_REDIS: 'true', REDIS_URL: `rediss://127.0.0.1:${tlsPort}` });
    expectFailedBoot(run, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|unable to verify|certificate/i, 'untrusted certificate');
  });
});
