import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService, registerAs } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  InvalidConfigError,
  StoreUnavailableError,
  WorkflowStore,
  WorkflowStoreModule,
} from '#workflow-store';
import { freePort } from '../support/free-port.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';

/** Every test context is closed afterwards, even when its boot failed half-way. */
const opened: TestingModule[] = [];

async function compile(imports: (DynamicModule | Promise<DynamicModule> | (new () => unknown))[]): Promise<TestingModule> {
  const app = await Test.createTestingModule({ imports }).compile();
  opened.push(app);
  return app;
}

async function boot(imports: Parameters<typeof compile>[0]): Promise<TestingModule> {
  const app = await compile(imports);
  await app.init();
  return app;
}

async function closeApp(app: TestingModule): Promise<void> {
  opened.splice(opened.indexOf(app), 1);
  await app.close();
}

afterEach(async () => {
  for (const app of opened.splice(0)) await app.close();
});

describe('WorkflowStoreModule with the memory backend', () => {
  it('forRoot({ env: {} }) provides a working WorkflowStore and closes it at shutdown', async () => {
    const app = await boot([WorkflowStoreModule.forRoot({ env: {} })]);
    const store = app.get(WorkflowStore);
    expect(store).toBeInstanceOf(WorkflowStore);

    const created = await store.create({ type: 'invoice-review', state: { amount: 12 } });
    await expect(store.get(created.id)).resolves.toEqual(created);

    await closeApp(app);
    // Shut down, not merely forgotten: a closed memory store refuses every call.
    await expect(store.get(created.id)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('writes the memory snapshot at shutdown and loads it at the next boot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wfs-nest-'));
    try {
      const env = { MEMORY_SNAPSHOT_PATH: join(dir, 'snapshot.ndjson') };
      const first = await boot([WorkflowStoreModule.forRoot({ env })]);
      const created = await first.get(WorkflowStore).create({ id: 'kept-1', type: 'invoice-review', state: { step: 2 } });
      await closeApp(first);
      expect((await stat(env.MEMORY_SNAPSHOT_PATH)).size).toBeGreaterThan(0);

      const second = await boot([WorkflowStoreModule.forRoot({ env })]);
      await expect(second.get(WorkflowStore).get('kept-1')).resolves.toEqual(created);
    } finally {
      for (const app of opened.splice(0)) await app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails boot on a bad variable, naming it', async () => {
    const failure = compile([WorkflowStoreModule.forRoot({ env: { WORKFLOW_STATE_TTL: 'abc' } })]);
    await expect(failure).rejects.toBeInstanceOf(InvalidConfigError);
    await expect(failure).rejects.toThrow(/WORKFLOW_STATE_TTL/);
  });

  describe('isGlobal', () => {
    @Injectable()
    class InvoiceService {
      constructor(readonly store: WorkflowStore) {}
    }

    // Does not import WorkflowStoreModule.
    @Module({ providers: [InvoiceService], exports: [InvoiceService] })
    class InvoiceModule {}

    it('makes WorkflowStore injectable in a module that does not import WorkflowStoreModule', async () => {
      const app = await boot([WorkflowStoreModule.forRoot({ env: {}, isGlobal: true }), InvoiceModule]);
      expect(app.get(InvoiceService).store).toBe(app.get(WorkflowStore));
    });

    it('keeps WorkflowStore private to importers without it', async () => {
      await expect(compile([WorkflowStoreModule.forRoot({ env: {} }), InvoiceModule])).rejects.toThrow(/resolve dependencies of the InvoiceService/);
    });
  });
});

describe('WorkflowStoreModule with the Redis backend', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await RedisServer.start();
  });

  afterAll(async () => {
    await server?.stop();
  });

  const clients = async (): Promise<string[]> =>
    String(await server.command('CLIENT', 'LIST'))
      .split('\n')
      .filter((line) => line.trim().length > 0);

  it('forRootAsync with ConfigService uses Redis and closes its connection at shutdown', async () => {
    const prefix = randomPrefix();
    const storeEnv = registerAs('workflowStore', () => ({ USE_REDIS: 'true', REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix }));
    const app = await boot([
      WorkflowStoreModule.forRootAsync({
        imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [storeEnv] })],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({ env: config.getOrThrow<Record<string, string>>('workflowStore') }),
      }),
    ]);
    const store = app.get(WorkflowStore);

    const created = await store.create({ id: 'wf-redis-1', type: 'invoice-review', state: { amount: 12 } });
    await expect(store.get('wf-redis-1')).resolves.toEqual(created);
    // It really is in Redis under our prefix, not in memory.
    expect(await server.command('KEYS', `${prefix}*`)).not.toHaveLength(0);
    expect((await clients()).filter((line) => line.includes('name=workflow-store'))).toHaveLength(1);

    await closeApp(app);
    const after = await clients();
    expect(after).toHaveLength(1); // only the connection asking
    expect(after.join('\n')).not.toContain('name=workflow-store');
  });

  it('logs the backend it connected to with the password redacted', async () => {
    const logger = quietLogger();
    const secret = `pw-${randomBytes(8).toString('hex')}`;
    // The test server's default user has no password, so any password is accepted for user "default".
    const env = { USE_REDIS: 'true', REDIS_URL: `redis://default:${secret}@127.0.0.1:${server.port}`, REDIS_KEY_PREFIX: randomPrefix() };
    await boot([WorkflowStoreModule.forRoot({ env, logger })]);

    expect(logger.lines).toContainEqual(expect.stringContaining(`connected to Redis at redis://default:***@127.0.0.1:${server.port}`));
    expect(logger.lines.join('\n')).not.toContain(secret);
  });
});

describe('WorkflowStoreModule when Redis is unreachable', () => {
  it('fails boot with the real cause when Redis is unreachable, without falling back to memory', async () => {
    const port = await freePort();
    const app = await compile([
      WorkflowStoreModule.forRoot({
        env: { USE_REDIS: 'true', REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_CONNECT_TIMEOUT_MS: '500' },
        logger: quietLogger(),
      }),
    ]);
    const store = app.get(WorkflowStore);

    const started = Date.now();
    const init = app.init();
    await expect(init).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(init).rejects.toThrow(/ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(2000);
    // A memory store would answer null here; the Redis store refuses.
    await expect(store.get('wf-1')).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
