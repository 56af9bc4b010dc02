/**
 * GET /workflows/:id/versions and /workflows/:id/versions/:version over HTTP (Redis): the kept versions after
 * writes, an old version as it was, version-not-kept past WORKFLOW_HISTORY_VERSIONS, nothing after a delete,
 * WORKFLOW_HISTORY_VERSIONS=0; and an idempotent replay answering with the version its write produced while kept.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiProcess } from '../support/api-process.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const json = { 'content-type': 'application/json' };
const mergePatch = { 'content-type': 'application/merge-patch+json' };

interface WorkflowBody {
  id: string;
  version: number;
  type: string;
  status: string;
  state: Record<string, unknown>;
  updatedAt: string;
}

interface HistoryBody {
  id: string;
  currentVersion: number;
  oldestVersion: number;
  versions: { version: number; type: string; status: string; updatedAt: string }[];
}

describe('workflow versions (Redis)', () => {
  let redis: RedisServer;
  /** WORKFLOW_HISTORY_VERSIONS=3 */
  let api: ApiProcess;
  /** WORKFLOW_HISTORY_VERSIONS=0 */
  let none: ApiProcess;

  const send = async (base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> => {
    const contentType = body === undefined ? {} : method === 'PATCH' ? mergePatch : json;
    return fetch(`${base}${path}`, { method, headers: { ...contentType, ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  };
  /** A write that must succeed; its answer's workflow. */
  const write = async (base: string, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<WorkflowBody> => {
    const response = await send(base, method, path, body, headers);
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as WorkflowBody;
  };
  const expectProblem = async (response: Response, status: number, type: string): Promise<Record<string, unknown>> => {
    expect([response.status, response.headers.get('content-type')]).toEqual([status, PROBLEM]);
    const problem = (await response.json()) as Record<string, unknown>;
    expect(problem.type).toBe(`urn:workflow-store:problem:${type}`);
    return problem;
  };
  /** Creates a workflow and writes it `writes` more times (PATCH, PUT in turn); the answers, by version. */
  const writeVersions = async (base: string, id: string, writes: number): Promise<WorkflowBody[]> => {
    const answers = [await write(base, 'POST', '/workflows', { id, type: 'doc', state: { v: 1 } })];
    for (let n = 2; n <= writes + 1; n++) {
      answers.push(
        n % 2 === 0
          ? await write(base, 'PATCH', `/workflows/${id}`, { status: `s${n}`, state: { v: n, [`k${n}`]: true } })
          : await write(base, 'PUT', `/workflows/${id}`, { type: 'doc', status: `s${n}`, state: { v: n } }),
      );
    }
    return answers;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { USE_REDIS: 'true', REDIS_URL: redis.url, RATE_LIMIT_PER_MINUTE: '0' };
    [api, none] = await Promise.all([
      ApiProcess.start({ ...env, REDIS_KEY_PREFIX: randomPrefix(), WORKFLOW_HISTORY_VERSIONS: '3' }),
      ApiProcess.start({ ...env, REDIS_KEY_PREFIX: randomPrefix(), WORKFLOW_HISTORY_VERSIONS: '0' }),
    ]);
  }, 40_000);
  afterAll(async () => {
    await api?.stop('SIGKILL');
    await none?.stop('SIGKILL');
    await redis?.stop();
  });

  it('lists the kept versions newest first, and serves an old one as it was, with its ETag', async () => {
    const id = randomId();
    const answers = await writeVersions(api.url, id, 3);
    // A touch is no new version.
    expect((await send(api.url, 'POST', `/workflows/${id}/touch`, {})).status).toBe(200);

    const listed = await send(api.url, 'GET', `/workflows/${id}/versions`);
    expect(listed.status).toBe(200);
    const history = (await listed.json()) as HistoryBody;
    expect(history).toEqual({
      id,
      currentVersion: 4,
      oldestVersion: 1,
      versions: [...answers].reverse().map((w) => ({ version: w.version, type: w.type, status: w.status, updatedAt: w.updatedAt })),
    });

    for (const produced of answers.slice(0, 3)) {
      const old = await send(api.url, 'GET', `/workflows/${id}/versions/${produced.version}`);
      expect([old.status, old.headers.get('etag')]).toEqual([200, `"${produced.version}"`]);
      // Its state, labels and times as that write left them (the expiry moved on with the later writes).
      const { expiresAt: _then, ...was } = produced as WorkflowBody & { expiresAt: string };
      expect(await old.json()).toMatchObject(was);
    }
    // The current version is the workflow as GET shows it.
    const current = await send(api.url, 'GET', `/workflows/${id}/versions/4`);
    expect(await current.json()).toEqual(await (await send(api.url, 'GET', `/workflows/${id}`)).json());
    expect((await send(api.url, 'GET', `/workflows/${id}/versions/2`, undefined, { 'if-none-match': '"2"' })).status).toBe(304);
  });

  it('answers 404 version-not-kept with oldestVersion past WORKFLOW_HISTORY_VERSIONS, and 400 for a version that is no version', async () => {
    const id = randomId();
    await writeVersions(api.url, id, 5);
    const history = (await (await send(api.url, 'GET', `/workflows/${id}/versions`)).json()) as HistoryBody;
    expect([history.currentVersion, history.oldestVersion, history.versions.map((v) => v.version)]).toEqual([6, 3, [6, 5, 4, 3]]);

    const dropped = await expectProblem(await send(api.url, 'GET', `/workflows/${id}/versions/2`), 404, 'version-not-kept');
    expect(dropped).toMatchObject({ status: 404, version: 2, oldestVersion: 3, currentVersion: 6 });
    const future = await expectProblem(await send(api.url, 'GET', `/workflows/${id}/versions/7`), 404, 'version-not-kept');
    expect(future).toMatchObject({ oldestVersion: 3, currentVersion: 6 });
    expect((await send(api.url, 'GET', `/workflows/${id}/versions/3`)).status).toBe(200);

    for (const bad of ['0', '-1', '1.5', 'abc', '1e3', '%201', '99999999999999999999']) {
      await expectProblem(await send(api.url, 'GET', `/workflows/${id}/versions/${bad}`), 400, 'invalid-input');
    }
  });

  it('answers 404 not-found for a workflow that does not exist, and after a delete: its history goes with it', async () => {
    const missing = randomId();
    await expectProblem(await send(api.url, 'GET', `/workflows/${missing}/versions`), 404, 'not-found');
    await expectProblem(await send(api.url, 'GET', `/workflows/${missing}/versions/1`), 404, 'not-found');

    const id = randomId();
    await writeVersions(api.url, id, 2);
    expect((await send(api.url, 'DELETE', `/workflows/${id}`)).status).toBe(204);
    await expectProblem(await send(api.url, 'GET', `/workflows/${id}/versions`), 404, 'not-found');
    await expectProblem(await send(api.url, 'GET', `/workflows/${id}/versions/2`), 404, 'not-found');

    // Created again under the same id: a new life, none of the old versions.
    const reborn = await write(api.url, 'POST', '/workflows', { id, type: 'doc', state: { reborn: true } });
    const history = (await (await send(api.url, 'GET', `/workflows/${id}/versions`)).json()) as HistoryBody;
    expect([history.currentVersion, history.oldestVersion, history.versions.length]).toEqual([1, 1, 1]);
    expect(await (await send(api.url, 'GET', `/workflows/${id}/versions/1`)).json()).toEqual(reborn);
  });

  it('keeps only the current version with WORKFLOW_HISTORY_VERSIONS=0', async () => {
    const id = randomId();
    const answers = await writeVersions(none.url, id, 2);
    const history = (await (await send(none.url, 'GET', `/workflows/${id}/versions`)).json()) as HistoryBody;
    expect(history).toMatchObject({ id, currentVersion: 3, oldestVersion: 3, versions: [{ version: 3, status: answers[2]?.status }] });
    expect(history.versions).toHaveLength(1);
    const gone = await expectProblem(await send(none.url, 'GET', `/workflows/${id}/versions/1`), 404, 'version-not-kept');
    expect(gone).toMatchObject({ oldestVersion: 3, currentVersion: 3 });
    expect((await send(none.url, 'GET', `/workflows/${id}/versions/3`)).status).toBe(200);
  });

  it('answers an idempotent replay with the version its write produced while kept, else the current one; Workflow-Current-Version says the version now', async () => {
    const id = randomId();
    const key = { 'idempotency-key': randomId('key') };
    const put = () => send(api.url, 'PUT', `/workflows/${id}`, { type: 'doc', state: { step: 1 } }, key);
    const first = await put();
    expect(first.status).toBe(201);
    const produced = await first.json();
    await write(api.url, 'PATCH', `/workflows/${id}`, { state: { step: 2 } });

    const kept = await put();
    expect([kept.status, kept.headers.get('etag'), kept.headers.get('idempotent-replayed'), kept.headers.get('workflow-current-version')]).toEqual([201, '"1"', 'true', '2']);
    expect(await kept.json()).toEqual(produced);

    // A PATCH replayed: the version it produced (3), not the later one.
    const patchKey = { 'idempotency-key': randomId('key') };
    const patched = await write(api.url, 'PATCH', `/workflows/${id}`, { status: 'review' }, patchKey);
    await write(api.url, 'PATCH', `/workflows/${id}`, { status: 'done' });
    const patchedAgain = await send(api.url, 'PATCH', `/workflows/${id}`, { status: 'review' }, patchKey);
    expect([patchedAgain.status, patchedAgain.headers.get('etag'), patchedAgain.headers.get('workflow-current-version')]).toEqual([200, '"3"', '4']);
    expect(await patchedAgain.json()).toEqual(patched);

    // Written on until version 1 is out of the history (3 kept: 3, 4, 5 at version 6): the body is the workflow now.
    await write(api.url, 'PATCH', `/workflows/${id}`, { state: { step: 5 } });
    await write(api.url, 'PATCH', `/workflows/${id}`, { state: { step: 6 } });
    const dropped = await put();
    expect([dropped.status, dropped.headers.get('etag'), dropped.headers.get('workflow-current-version')]).toEqual([201, '"1"', '6']);
    expect(await dropped.json()).toMatchObject({ id, version: 6, state: { step: 6 } });

    // No history at all: the body is the workflow now, as before histories existed.
    const other = randomId();
    const otherKey = { 'idempotency-key': randomId('key') };
    expect((await send(none.url, 'PUT', `/workflows/${other}`, { type: 'doc', state: { a: 1 } }, otherKey)).status).toBe(201);
    await write(none.url, 'PATCH', `/workflows/${other}`, { state: { a: 2 } });
    const current = await send(none.url, 'PUT', `/workflows/${other}`, { type: 'doc', state: { a: 1 } }, otherKey);
    expect([current.status, current.headers.get('etag'), current.headers.get('workflow-current-version')]).toEqual([201, '"1"', '2']);
    expect(await current.json()).toMatchObject({ version: 2, state: { a: 2 } });
  });
});
