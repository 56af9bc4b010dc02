/**
 * The client's retry of a 503 with the same Idempotency-Key, against a real stall: Redis is SIGSTOPped before a
 * create and a patch start, so their first attempts answer 503 (REDIS_COMMAND_TIMEOUT_MS=500) — possibly
 * outcome-unknown, the script sent and applied once Redis resumes. Redis is resumed about 1.5 s later; both calls
 * resolve, each write applied exactly once, and every attempt of a call carried the same key.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowClient } from '../../libs/client/src/index.js';
import { randomId } from '../support/random-ids.js';
import { redisBackend, type Deployment } from './support/backends.js';
import { RecordingFetch } from './support/recording-fetch.js';

const PAUSE_MS = 1500;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('WorkflowClient while Redis is paused (SIGSTOP)', () => {
  let deployment: Deployment | undefined;

  beforeAll(async () => {
    deployment = await redisBackend.start({ REDIS_COMMAND_TIMEOUT_MS: '500', WORKFLOW_STATE_TTL: '600' });
  }, 30_000);
  afterAll(async () => {
    deployment?.redis?.resume();
    await deployment?.stop();
  });

  it('retries the 503s with the same Idempotency-Key until Redis is back; each write is applied exactly once', async () => {
    const redis = deployment!.redis!;
    const recorder = new RecordingFetch();
    // More attempts than the default 4: the service answers Retry-After: 1, and the stall must be outlasted.
    const client = new WorkflowClient({ baseUrl: deployment!.apis[0]!.url, fetch: recorder.fetch, retry: { attempts: 8 }, timeoutMs: 10_000 });
    const patchedId = randomId('patched');
    await client.create({ id: patchedId, type: 'job', state: { step: 0 } });
    const createdId = randomId('created');

    const mark = recorder.requests.length;
    const pausedAt = Date.now();
    redis.pause();
    let resumed = false;
    try {
      const creating = client.create({ id: createdId, type: 'job', state: { step: 1 } });
      const patching = client.patch(patchedId, { status: 'extracted', state: { step: 1 } });
      // Both first attempts answered 503 before Redis resumes: the retry path is what gets the calls through.
      await recorder.until((answered) => answered.filter((r) => r.method !== 'GET' && r.status === 503).length >= 2);
      const health = await client.health();
      expect(health.ready).toBe(false);
      await sleep(Math.max(0, pausedAt + PAUSE_MS - Date.now()));
      redis.resume();
      resumed = true;

      const [created, patched] = await Promise.all([creating, patching]);
      expect(created).toMatchObject({ id: createdId, version: 1, state: { step: 1 } });
      expect(patched).toMatchObject({ id: patchedId, version: 2, status: 'extracted', state: { step: 1 } });
    } finally {
      if (!resumed) redis.resume();
    }

    // Exactly once: one version each, as the history holds them.
    expect((await client.versions(createdId)).versions.map((v) => v.version)).toEqual([1]);
    expect((await client.versions(patchedId)).versions.map((v) => v.version)).toEqual([2, 1]);
    expect((await client.health()).ready).toBe(true);

    const sincePause = recorder.requests.slice(mark);
    for (const method of ['POST', 'PATCH']) {
      const attempts = sincePause.filter((r) => r.method === method);
      const keys = new Set(attempts.map((r) => r.headers['idempotency-key']));
      console.log(`${method} during the pause: ${attempts.map((r) => `${r.status ?? r.error}${r.problem ? ` ${r.problem}` : ''}`).join(', ')}`);
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(attempts[0]?.status).toBe(503);
      expect(attempts.slice(0, -1).every((r) => r.status === 503 && ['store-unavailable', 'outcome-unknown'].includes(r.problem ?? ''))).toBe(true);
      expect(attempts.at(-1)?.status).toBeLessThan(300);
      expect(keys.size).toBe(1);
      expect([...keys][0]).toEqual(expect.any(String));
    }
  }, 60_000);
});
