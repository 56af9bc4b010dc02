/**
 * A Redis password never reaches a log line or an error message: not at a failed boot (wrong password, bad URL),
 * not while the connection fails and recovers at run time, not in the CLI's messages, not in /metrics or problems.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiProcess } from '../support/api-process.js';
import { runCli } from '../support/cli-process.js';
import { freePort } from '../support/free-port.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';

const PASSWORD = 'S3cr3t-p4ss-w0rd-that-must-never-be-logged';
const ENCODED = encodeURIComponent(PASSWORD);
let server: RedisServer;

beforeAll(async () => {
  server = await RedisServer.start({ args: ['--requirepass', PASSWORD], auth: { username: 'default', password: PASSWORD } });
});

afterAll(async () => {
  await server?.stop();
});

function expectNoSecret(text: string): void {
  expect(text.length).toBeGreaterThan(0);
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain('S3cr3t');
}

describe('the Redis password is never logged', () => {
  it('not at a failed boot: wrong password, unreachable host, malformed URL, bad password variable', async () => {
    const port = await freePort();
    const cases: Record<string, string>[] = [
      { REDIS_URL: `redis://:${ENCODED}x@127.0.0.1:${server.port}` },
      { REDIS_URL: `redis://default:${ENCODED}@127.0.0.1:${port}` },
      { REDIS_URL: `redis://:${ENCODED}@127.0.0.1:notaport/x y` },
      { REDIS_URL: `redis://127.0.0.1:${server.port}`, REDIS_PASSWORD: `${PASSWORD}-wrong` },
    ];
    for (const env of cases) {
      const run = await ApiProcess.runToExit({ USE_REDIS: 'true', REDIS_CONNECT_TIMEOUT_MS: '1000', ...env });
      expect(run.code).not.toBe(0);
      expectNoSecret(run.output);
    }
  });

  it('not while the connection is lost and comes back at run time, nor in answers and metrics', async () => {
    const api = await ApiProcess.start({
      USE_REDIS: 'true',
      REDIS_URL: `redis://:${ENCODED}@127.0.0.1:${server.port}`,
      REDIS_KEY_PREFIX: randomPrefix(),
      REDIS_PERSISTENCE_CHECK: 'warn',
      LOG_LEVEL: 'debug',
    });
    try {
      expect((await fetch(`${api.url}/workflows`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"x","state":{}}' })).status).toBe(201);
      await server.kill9();
      const during = await fetch(`${api.url}/workflows`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"x","state":{}}' });
      expect(during.status).toBe(503);
      expectNoSecret(await during.text());
      await new Promise((r) => setTimeout(r, 1500)); // a few reconnect attempts, each logged
      await server.restart();
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await fetch(`${api.url}/health/ready`)).status !== 200) await new Promise((r) => setTimeout(r, 100));
      expectNoSecret(await (await fetch(`${api.url}/metrics`)).text());
    } finally {
      await api.stop();
    }
    expect(api.output).toMatch(/Redis connection (error|lost)/);
    expectNoSecret(api.output);
  }, 60_000);

  it('not in the CLI: unreachable or refusing Redis', async () => {
    const port = await freePort();
    for (const to of [`redis://:${ENCODED}@127.0.0.1:${port}`, `redis://:${ENCODED}x@127.0.0.1:${server.port}`]) {
      const run = await runCli(['export', '--out', '-', '--redis-url', to], { REDIS_CONNECT_TIMEOUT_MS: '1000' });
      expect(run.code).toBe(2);
      expectNoSecret(run.stderr);
      expect(run.stdout).not.toContain('S3cr3t');
    }
  });
});
