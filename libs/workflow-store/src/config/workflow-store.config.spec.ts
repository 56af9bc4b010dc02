import { describe, expect, it } from '@jest/globals';
import { InvalidConfigError } from '../errors/invalid-config.error.js';
import { loadWorkflowStoreConfig } from './workflow-store.config.js';

describe('loadWorkflowStoreConfig', () => {
  it('gives the memory backend and documented defaults with an empty environment', () => {
    const options = loadWorkflowStoreConfig({});
    expect(options.backend).toBe('memory');
    expect(options.limits).toEqual({ defaultTtlSeconds: 86_400, maxTtlSeconds: 2_592_000, maxStateBytes: 1_048_576 });
    expect(options.redis).toMatchObject({
      url: 'redis://127.0.0.1:6379',
      db: 0,
      keyPrefix: 'wfs',
      connectTimeoutMs: 2000,
      commandTimeoutMs: 1000,
      persistenceCheck: 'warn',
      purgeIntervalMs: 60_000,
    });
  });

  it('switches to Redis with USE_REDIS=true and reads the db from the URL', () => {
    const options = loadWorkflowStoreConfig({ USE_REDIS: 'true', REDIS_URL: 'redis://cache:6380/3' });
    expect(options.backend).toBe('redis');
    expect(options.redis.db).toBe(3);
  });

  it('accepts the seconds-based aliases of hand-rolled set-ups', () => {
    const options = loadWorkflowStoreConfig({ REDIS_SOCKET_TIMEOUT: '2', REDIS_SOCKET_CONNECT_TIMEOUT: '5' });
    expect(options.redis.commandTimeoutMs).toBe(2000);
    expect(options.redis.connectTimeoutMs).toBe(5000);
  });

  it('names every bad variable and what is allowed, without echoing passwords', () => {
    let error: unknown;
    try {
      loadWorkflowStoreConfig({
        USE_REDIS: 'maybe',
        WORKFLOW_STATE_TTL: 'abc',
        REDIS_KEY_PREFIX: 'a{b}',
        REDIS_COMMAND_TIMEOUT_MS: '10',
        REDIS_URL: 'http://x',
        REDIS_PASSWORD: '',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    const message = (error as Error).message;
    for (const name of ['USE_REDIS', 'WORKFLOW_STATE_TTL', 'REDIS_KEY_PREFIX', 'REDIS_COMMAND_TIMEOUT_MS', 'REDIS_URL', 'REDIS_PASSWORD']) {
      expect(message).toContain(name);
    }
    expect(message).toContain('at least 50');
    expect(message).not.toContain('REDIS_PASSWORD: Too small (got');
  });

  it('never shows credentials of a bad URL in the message, whatever the scheme or how broken the URL is', () => {
    for (const url of ['http://user:hunter2@host', 'redis://:hunter2@host:notaport/x y', 'redis://:p@ss/w@rd-hunter2@host x', 'hunter2@garbage']) {
      expect(() => loadWorkflowStoreConfig({ REDIS_URL: url })).toThrow(InvalidConfigError);
      try {
        loadWorkflowStoreConfig({ REDIS_URL: url });
      } catch (error) {
        expect((error as Error).message).toContain('REDIS_URL');
        expect((error as Error).message).not.toContain('hunter2');
      }
    }
  });

  it('refuses a default TTL above the maximum and aliases that disagree', () => {
    expect(() => loadWorkflowStoreConfig({ WORKFLOW_STATE_TTL: '100', WORKFLOW_MAX_TTL: '10' })).toThrow(/WORKFLOW_STATE_TTL: must not exceed WORKFLOW_MAX_TTL/);
    expect(() => loadWorkflowStoreConfig({ REDIS_COMMAND_TIMEOUT_MS: '500', REDIS_SOCKET_TIMEOUT: '2' })).toThrow(/REDIS_SOCKET_TIMEOUT: disagrees/);
  });

  it('ignores variables it does not know', () => {
    expect(loadWorkflowStoreConfig({ PATH: '/bin', SOMETHING_ELSE: 'x' }).backend).toBe('memory');
  });
});
