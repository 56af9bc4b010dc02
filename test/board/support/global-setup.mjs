/**
 * The board project's shared services, started once for all its test files (Jest `globalSetup` of the `board`
 * project; `global-teardown.mjs` stops them): a private redis-server, two replicas of the BUILT API on it (same keys
 * file, same BOARD_SESSION_SECRET) and Chromium as a Playwright browser server. Booting the API costs ~2.7 s of CPU
 * and Chromium with its first page ~2.9 s: once per file, that was most of the project's time on a 2-core machine.
 * Each test file works in a tenant of its own (its keys appended to the keys file, see board-env.ts), so files do
 * not see each other's workflows, counts or events.
 *
 * Plain JavaScript: Jest loads global hooks outside the test module registry, without the moduleNameMapper the
 * TypeScript helpers (test/support/*.ts) need. The shapes follow RedisServer and ApiProcess.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const START_TIMEOUT_MS = 20_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** One PING over a raw socket: true on +PONG. */
function pingRedis(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

function started(child, name) {
  const record = { child, name, output: '', exited: new Promise((resolve) => child.once('exit', resolve)) };
  child.stdout?.setEncoding('utf8').on('data', (d) => (record.output = (record.output + d).slice(-20_000)));
  child.stderr?.setEncoding('utf8').on('data', (d) => (record.output = (record.output + d).slice(-20_000)));
  return record;
}

async function waitFor(check, record) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (record.child.exitCode !== null || record.child.signalCode !== null) break;
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`board tests: ${record.name} did not start:\n${record.output}`);
}

export default async function globalSetup() {
  const dir = mkdtempSync(join(tmpdir(), 'wfs-board-tests-'));
  const keysFile = join(dir, 'api-keys');
  // Keys mode needs a key at boot; the files add their tenants' keys (and the API re-reads the file within 1 s).
  const bootstrap = `board-bootstrap:read:${randomBytes(32).toString('hex')}`;
  writeFileSync(keysFile, `# board tests: each test file appends its tenant's keys\n${bootstrap}\n`);
  const services = { dir, records: [], browserServer: undefined };
  globalThis.__boardServices = services;
  // Nothing started here may outlive Jest, even if the teardown never runs.
  process.once('exit', () => {
    for (const { child } of services.records) child.kill('SIGKILL');
  });
  try {
    const redisPort = await freePort();
    const redis = started(
      spawn(process.env.REDIS_SERVER_BIN ?? 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
      'redis-server',
    );
    services.records.push(redis);
    const browserStart = chromium.launchServer({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    await waitFor(() => pingRedis(redisPort), redis);

    const env = {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      USE_REDIS: 'true',
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      REDIS_KEY_PREFIX: `board${randomBytes(4).toString('hex')}`,
      REDIS_PERSISTENCE_CHECK: 'off',
      API_KEYS_FILE: keysFile,
      RATE_LIMIT_PER_MINUTE: '0',
      BOARD_SESSION_SECRET: randomBytes(32).toString('hex'),
      // The default lease sweep (1 s: a stalled lease shows within ~1.3 s); these services idle through the rest of
      // `npm test`, so nothing faster. A 1 MiB state (and a bit more) fits.
      LEASE_SWEEP_INTERVAL_MS: '1000',
      WORKFLOW_MAX_STATE_BYTES: String(2 * 1024 * 1024),
    };
    const ports = [await freePort(), await freePort()];
    while (ports[1] === ports[0]) ports[1] = await freePort();
    const apis = ports.map((port, i) => {
      const record = started(spawn(process.execPath, ['dist/apps/api/src/main.js'], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] }), `API replica ${i}`);
      services.records.push(record);
      return record;
    });
    await Promise.all(
      apis.map((record, i) =>
        waitFor(async () => {
          try {
            return (await fetch(`http://127.0.0.1:${ports[i]}/health/ready`, { signal: AbortSignal.timeout(2000) })).ok;
          } catch {
            return false;
          }
        }, record),
      ),
    );
    services.browserServer = await browserStart;
    process.env.BOARD_TEST_SERVICES = JSON.stringify({
      apiPorts: ports,
      keysFile,
      wsEndpoint: services.browserServer.wsEndpoint(),
    });
  } catch (error) {
    const { default: teardown } = await import('./global-teardown.mjs');
    await teardown();
    throw error;
  }
}
