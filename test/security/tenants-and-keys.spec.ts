/**
 * API keys and tenants over real HTTP, Redis backend: a tenant never sees, changes or exports another tenant's
 * workflows (404, not 403), two tenants use one id independently, keys are checked (401 missing / wrong /
 * revoked, 403 role too low), and the tenant is part of every Redis key.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createWorkflowStore, loadWorkflowStoreConfig } from '#workflow-store';
import { ApiProcess } from '../support/api-process.js';
import { runCli } from '../support/cli-process.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { apiKey, bearer } from './api-keys.js';

const A = { admin: apiKey('acme', 'admin'), read: apiKey('acme', 'read') };
const B = { write: apiKey('globex', 'write'), admin: apiKey('globex', 'admin') };
const revocable = apiKey('acme', 'write');

let server: RedisServer;
let raw: Redis;
let api: ApiProcess;
let dir: string;
let keysFile: string;
const prefix = randomPrefix();

async function call(method: string, path: string, key: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const contentType = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
  return fetch(`${api.url}${path}`, {
    method,
    headers: { ...(key ? bearer(key) : {}), ...(body === undefined ? {} : { 'content-type': contentType }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function expectProblem(response: Response, status: number, type: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(((await response.json()) as { type: string }).type).toBe(`urn:workflow-store:problem:${type}`);
}

beforeAll(async () => {
  server = await RedisServer.start();
  raw = new Redis(server.url);
  dir = await mkdtemp(join(tmpdir(), 'wfs-keys-'));
  keysFile = join(dir, 'keys');
  await writeFile(keysFile, `# one entry a line\n${revocable.entry}\n${B.admin.entry}\n`);
  api = await ApiProcess.start({
    USE_REDIS: 'true',
    REDIS_URL: server.url,
    REDIS_KEY_PREFIX: prefix,
    API_KEYS: [A.admin.entry, A.read.entry, B.write.entry].join(','),
    API_KEYS_FILE: keysFile,
    ADMIN_ROUTES: 'true',
    RATE_LIMIT_PER_MINUTE: '0',
  });
}, 30_000);

afterAll(async () => {
  await api?.stop();
  raw?.disconnect();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('tenants', () => {
  it("tenant B cannot get, list, update, patch, touch, delete or export tenant A's workflow: 404 / absent, and it stays as it was", async () => {
    const created = await call('POST', '/workflows', A.admin.key, { id: 'contract-7', type: 'invoice', state: { secret: 'acme' } });
    expect(created.status).toBe(201);
    const before = await (await call('GET', '/workflows/contract-7', A.read.key)).json();

    await expectProblem(await call('GET', '/workflows/contract-7', B.write.key), 404, 'not-found');
    // A conditional PUT of a missing workflow is 412 (RFC 9110): exactly what an id that never existed gets.
    await expectProblem(await call('PUT', '/workflows/contract-7', B.write.key, { state: { stolen: true } }, { 'if-match': '"1"' }), 412, 'precondition-failed');
    await expectProblem(await call('PUT', '/workflows/never-existed', B.write.key, { state: {} }, { 'if-match': '"1"' }), 412, 'precondition-failed');
    await expectProblem(await call('PATCH', '/workflows/contract-7', B.write.key, { state: { stolen: true } }), 404, 'not-found');
    await expectProblem(await call('POST', '/workflows/contract-7/touch', B.write.key, {}), 404, 'not-found');
    await expectProblem(await call('DELETE', '/workflows/contract-7', B.write.key), 404, 'not-found');
    const listed = (await (await call('GET', '/workflows?limit=1000', B.write.key)).json()) as { items: { id: string }[] };
    expect(listed.items.map((w) => w.id)).not.toContain('contract-7');
    const exported = await (await call('GET', '/admin/export', B.admin.key)).text();
    expect(exported).not.toContain('contract-7');
    expect(exported).not.toContain('acme');

    expect(await (await call('GET', '/workflows/contract-7', A.read.key)).json()).toEqual(before);
    const own = await (await call('GET', '/admin/export', A.admin.key)).text();
    expect(own.split('\n').filter((line) => line.includes('"contract-7"'))).toEqual([expect.stringContaining('"tenant":"acme"')]);
  });

  it('lets two tenants use the same id without touching each other; the tenant is part of every Redis key', async () => {
    expect((await call('PUT', '/workflows/shared-id', A.admin.key, { state: { owner: 'acme' } })).status).toBe(201);
    expect((await call('PUT', '/workflows/shared-id', B.write.key, { state: { owner: 'globex' } })).status).toBe(201);
    expect((await call('PATCH', '/workflows/shared-id', B.write.key, { state: { step: 2 } })).status).toBe(200);
    expect(await (await call('GET', '/workflows/shared-id', A.read.key)).json()).toMatchObject({ version: 1, state: { owner: 'acme' } });
    expect(await (await call('GET', '/workflows/shared-id', B.write.key)).json()).toMatchObject({ version: 2, state: { owner: 'globex', step: 2 } });
    expect((await call('DELETE', '/workflows/shared-id', B.write.key)).status).toBe(204);
    expect((await call('GET', '/workflows/shared-id', A.read.key)).status).toBe(200);

    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await raw.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    const workflowKeys = keys.filter((key) => /\}:w:/.test(key));
    expect(workflowKeys.length).toBeGreaterThan(0);
    // The tenant is in the hash tag: `<prefix>:{<tenant>:<shards>:<shard>:<suffix>}:w:<id>`.
    for (const key of workflowKeys) expect(key).toMatch(new RegExp(`^${prefix}:\\{(acme|globex):\\d+:\\d+:[A-Za-z0-9_-]{3}\\}:w:`));
  });
});

describe('migrate from an API with keys', () => {
  it("copies the admin key's tenant, and only it, under the same tenant in the target", async () => {
    const targetPrefix = randomPrefix();
    const run = await runCli(['migrate', '--from', api.url, '--to', server.url], { REDIS_KEY_PREFIX: targetPrefix, WORKFLOW_API_KEY: A.admin.key });
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    const target = createWorkflowStore(loadWorkflowStoreConfig({ USE_REDIS: 'true', REDIS_URL: server.url, REDIS_KEY_PREFIX: targetPrefix, REDIS_PERSISTENCE_CHECK: 'off' }), quietLogger());
    await target.connect();
    try {
      expect((await target.forTenant('acme').get('contract-7'))?.state).toEqual({ secret: 'acme' });
      expect(await target.get('contract-7')).toBeNull();
      expect(await target.forTenant('globex').count()).toBe(0);
    } finally {
      await target.close();
    }
    const refused = await runCli(['migrate', '--from', api.url, '--to', server.url], { REDIS_KEY_PREFIX: randomPrefix(), WORKFLOW_API_KEY: B.write.key });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/answered 403/);
  });
});

describe('API keys', () => {
  it('answers 401 problem+json with WWW-Authenticate for a missing, malformed or unknown key, before reading the body', async () => {
    for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }, { authorization: 'Bearer' }, bearer('wfs_not-a-configured-key')]) {
      const response = await fetch(`${api.url}/workflows`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{not json' });
      await expectProblem(response, 401, 'unauthorized');
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="workflow-store"');
    }
  });

  it('refuses a key whose role is too low with 403: read cannot write, write cannot export', async () => {
    await expectProblem(await call('POST', '/workflows', A.read.key, { type: 'x', state: {} }), 403, 'forbidden');
    await expectProblem(await call('DELETE', '/workflows/contract-7', A.read.key), 403, 'forbidden');
    await expectProblem(await call('GET', '/admin/export', B.write.key), 403, 'forbidden');
    expect((await call('GET', '/workflows/contract-7', A.read.key)).status).toBe(200);
  });

  it('stops accepting a key removed from API_KEYS_FILE, without a restart', async () => {
    expect((await call('PUT', '/workflows/revocable', revocable.key, { state: {} })).status).toBe(201);
    await writeFile(keysFile, `${B.admin.entry}\n`);
    const deadline = Date.now() + 5000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await call('GET', '/workflows/revocable', revocable.key)).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(401);
    expect((await call('GET', '/workflows/revocable', A.read.key)).status).toBe(200);
  });

  it('leaves health, metrics and the API description open', async () => {
    for (const path of ['/health/live', '/health/ready', '/metrics', '/docs-json']) expect({ path, status: (await fetch(`${api.url}${path}`)).status }).toEqual({ path, status: 200 });
  });
});

describe('start-up without keys', () => {
  it('refuses to start in production without keys, saying what to set', async () => {
    const run = await ApiProcess.runToExit({ NODE_ENV: 'production' });
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/NODE_ENV=production needs API_KEYS or API_KEYS_FILE/);
  });

  it('refuses to serve the board open in production, even with AUTH_MODE=none, saying what to set', async () => {
    const run = await ApiProcess.runToExit({ NODE_ENV: 'production', AUTH_MODE: 'none' });
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/would serve the board \(\/board\) unauthenticated: set BOARD_ENABLED=false/);
  });

  it('runs open with a warning when AUTH_MODE=none (or outside production)', async () => {
    // In production only without the board: it is never served open there (the test above).
    const envs: Record<string, string>[] = [{ NODE_ENV: 'production', AUTH_MODE: 'none', BOARD_ENABLED: 'false' }, {}];
    for (const env of envs) {
      const open = await ApiProcess.start(env);
      try {
        expect((await fetch(`${open.url}/workflows`)).status).toBe(200);
        expect(open.output).toMatch(/running WITHOUT authentication/);
      } finally {
        await open.stop();
      }
    }
  });

  it('refuses a key given in clear instead of its SHA-256, without echoing it', async () => {
    const run = await ApiProcess.runToExit({ API_KEYS: 'acme:admin:my-secret-key-in-clear' });
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/API_KEYS entry 1: the key must be given as its SHA-256/);
    expect(run.output).not.toContain('my-secret-key-in-clear');
  });
});
