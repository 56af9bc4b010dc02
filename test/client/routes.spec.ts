/**
 * Every route of the API through WorkflowClient, on both backends (the built API as a child process): answers
 * typed as the service's JSON, problems as their ProblemError subclasses, writes keyed, conditional reads answered.
 * Leases, update(), withLease and watch() have their own suites (routes-leases, routes-watch) sharing this setup.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AlreadyExistsProblem,
  IdempotencyKeyReusedProblem,
  InvalidInputProblem,
  NotFoundProblem,
  PreconditionFailedProblem,
  ProblemError,
  VersionNotKeptProblem,
  WorkflowClient,
  type Workflow,
} from '../../libs/client/src/index.js';
import { randomId } from '../support/random-ids.js';
import { BACKENDS, type Deployment } from './support/backends.js';
import type { ClientContext } from './support/context.js';
import { RecordingFetch } from './support/recording-fetch.js';
import { leaseSuite } from './support/lease-suite.js';
import { watchSuite } from './support/watch-suite.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe.each(BACKENDS)('WorkflowClient on the $name backend', (backend) => {
  let deployment: Deployment | undefined;
  const context = {} as ClientContext;

  beforeAll(async () => {
    deployment = await backend.start();
    context.recorder = new RecordingFetch();
    context.client = new WorkflowClient({ baseUrl: deployment.apis[0]!.url, fetch: context.recorder.fetch, timeoutMs: 10_000 });
  }, 30_000);
  afterAll(async () => {
    await deployment?.stop();
  });

  it('creates and reads a workflow; a read with ifNoneMatch of the current version is NotModified', async () => {
    const { client, recorder } = context;
    const id = randomId('create');
    const created = await client.create({ id, type: 'invoice', state: { pages: 1 } });
    expect(created).toMatchObject({ id, type: 'invoice', status: 'created', state: { pages: 1 }, version: 1, ttlSeconds: expect.any(Number) });
    expect(await client.get(id)).toEqual(created);
    expect(await client.get(id, { ifNoneMatch: 1 })).toEqual({ notModified: true, version: 1 });
    expect(await client.get(id, { ifNoneMatch: 7 })).toEqual(created);

    const [post] = recorder.to('POST', '/workflows').filter((r) => r.status === 201 && r.url.endsWith('/workflows'));
    expect(post?.headers['idempotency-key']).toMatch(UUID);
    expect(recorder.to('GET', `/workflows/${id}`).map((r) => r.headers['idempotency-key'])).toEqual([undefined, undefined, undefined]);
    expect(recorder.to('GET', `/workflows/${id}`).map((r) => r.status)).toEqual([200, 304, 200]);
  });

  it('a create without an id, sent twice with one Idempotency-Key, makes one workflow', async () => {
    const { client } = context;
    const idempotencyKey = `client-${randomId('k')}`;
    const first = await client.create({ type: 'anon', state: { a: 1 } }, { idempotencyKey });
    const again = await client.create({ type: 'anon', state: { a: 1 } }, { idempotencyKey });
    expect(again.id).toBe(first.id);
    expect(again.version).toBe(1);
    expect((await client.versions(first.id)).versions).toHaveLength(1);
  });

  it('lists one page at a time, and listPages / listAll walk every page', async () => {
    const { client } = context;
    const type = randomId('list');
    const ids = Array.from({ length: 5 }, (_, i) => `${type}-${i}`);
    for (const id of ids) await client.create({ id, type, state: {} });

    const first = await client.list({ type, limit: 2 });
    expect(first.items.length).toBeLessThanOrEqual(2);
    expect(typeof first.nextCursor).toBe('string');

    const pages = [];
    for await (const page of client.listPages({ type, limit: 2 })) pages.push(page);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.every((p) => p.items.length <= 2)).toBe(true);
    expect(pages.at(-1)?.nextCursor).toBeNull();
    const walked = pages.flatMap((p) => p.items.map((w) => w.id));
    expect([...walked].sort()).toEqual(ids);

    const all: Workflow[] = [];
    for await (const workflow of client.listAll({ type, limit: 2 })) all.push(workflow);
    expect(all.map((w) => w.id).sort()).toEqual(ids);
    expect((await client.list({ type, status: 'created', limit: 10 })).items).toHaveLength(5);
    expect((await client.list({ type, status: 'elsewhere' })).items).toEqual([]);
  });

  it('replaces with put: If-Match compare-and-set, upsert, If-None-Match: * create-only', async () => {
    const { client } = context;
    const id = randomId('put');
    const created = await client.put(id, { type: 'doc', state: { v: 1 } });
    expect(created).toMatchObject({ id, type: 'doc', version: 1, state: { v: 1 } });
    const replaced = await client.put(id, { status: 'extracted', state: { v: 2 } }, { ifMatch: 1 });
    expect(replaced).toMatchObject({ type: 'doc', status: 'extracted', version: 2, state: { v: 2 } });

    const stale = await client.put(id, { state: { v: 3 } }, { ifMatch: 1 }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(PreconditionFailedProblem);
    expect(stale).toMatchObject({ status: 412, code: 'precondition-failed', currentVersion: 2 });
    const createOnly = await client.put(id, { state: {} }, { ifNoneMatch: '*' }).catch((e: unknown) => e);
    expect(createOnly).toBeInstanceOf(PreconditionFailedProblem);
    expect((await client.get(id)).version).toBe(2);
  });

  it('patches with a merge patch (application/merge-patch+json), atomically', async () => {
    const { client, recorder } = context;
    const id = randomId('patch');
    await client.create({ id, type: 'doc', state: { a: 1, b: { c: 1, d: 2 }, list: [1, 2] } });
    const patched = await client.patch(id, { status: 'review', state: { a: null, b: { d: 3 }, list: [9] } }, { ifMatch: 1 });
    expect(patched).toMatchObject({ status: 'review', version: 2, state: { b: { c: 1, d: 3 }, list: [9] } });
    expect(patched.state).not.toHaveProperty('a');
    const [request] = recorder.to('PATCH', `/workflows/${id}`);
    expect(request?.headers['content-type']).toBe('application/merge-patch+json');
    expect(request?.headers['if-match']).toBe('"1"');
    await expect(client.patch(id, { status: 'x' }, { ifMatch: 1 })).rejects.toBeInstanceOf(PreconditionFailedProblem);
    expect((await client.patch(id, { status: 'any' }, { ifMatch: '*' })).version).toBe(3);
  });

  it('deletes (If-Match supported); the workflow is then not found', async () => {
    const { client } = context;
    const id = randomId('delete');
    await client.create({ id, type: 'doc', state: {} });
    await expect(client.delete(id, { ifMatch: 5 })).rejects.toMatchObject({ status: 412, currentVersion: 1 });
    await client.delete(id, { ifMatch: 1 });
    const gone = await client.get(id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(NotFoundProblem);
    expect(gone).toMatchObject({ status: 404, code: 'not-found', type: 'urn:workflow-store:problem:not-found', instance: `/workflows/${id}` });
    await expect(client.delete(id)).rejects.toBeInstanceOf(NotFoundProblem);
  });

  it('touches: a new TTL, same state and version', async () => {
    const { client } = context;
    const id = randomId('touch');
    const created = await client.create({ id, type: 'doc', state: { x: 1 }, ttlSeconds: 600 });
    const touched = await client.touch(id, { ttlSeconds: 3600 });
    expect(touched).toMatchObject({ version: 1, state: { x: 1 }, ttlSeconds: 3600 });
    expect(Date.parse(touched.expiresAt)).toBeGreaterThan(Date.parse(created.expiresAt));
    expect((await client.touch(id)).ttlSeconds).toBe(3600);
  });

  it('reads the kept versions and one version as it was', async () => {
    const { client } = context;
    const id = randomId('versions');
    await client.create({ id, type: 'doc', state: { n: 1 } });
    await client.patch(id, { state: { n: 2 } });
    await client.patch(id, { status: 'done', state: { n: 3 } });
    const history = await client.versions(id);
    expect(history).toMatchObject({ id, currentVersion: 3, oldestVersion: 1 });
    expect(history.versions.map((v) => [v.version, v.status])).toEqual([[3, 'done'], [2, 'created'], [1, 'created']]);
    expect(await client.version(id, 2)).toMatchObject({ id, version: 2, state: { n: 2 } });
    expect(await client.version(id, 2, { ifNoneMatch: 2 })).toEqual({ notModified: true, version: 2 });
    const notKept = await client.version(id, 9).catch((e: unknown) => e);
    expect(notKept).toBeInstanceOf(VersionNotKeptProblem);
    expect(notKept).toMatchObject({ status: 404, code: 'version-not-kept', currentVersion: 3, oldestVersion: 1 });
  });

  it('types problems: 409 already-exists, 400 invalid-input with field errors, 422 idempotency-key-reused', async () => {
    const { client } = context;
    const id = randomId('problems');
    await client.create({ id, type: 'doc', state: {} });
    const taken = await client.create({ id, type: 'doc', state: {} }).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(AlreadyExistsProblem);
    expect(taken).toMatchObject({ status: 409, code: 'already-exists', currentVersion: 1 });

    const invalid = await client.create({ id: 'not an id!', type: 'doc', state: {} }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(InvalidInputProblem);
    expect((invalid as InvalidInputProblem).errors.map((e) => e.path)).toContain('id');
    await expect(client.list({ limit: 0 })).rejects.toMatchObject({ status: 400, code: 'invalid-input' });

    const idempotencyKey = `reuse-${randomId('k')}`;
    await client.patch(id, { state: { a: 1 } }, { idempotencyKey });
    const reused = await client.patch(id, { state: { a: 2 } }, { idempotencyKey }).catch((e: unknown) => e);
    expect(reused).toBeInstanceOf(IdempotencyKeyReusedProblem);
    expect(reused).toMatchObject({ status: 422, code: 'idempotency-key-reused' });
    // The same request with the same key is a replay: not applied again.
    expect((await client.patch(id, { state: { a: 1 } }, { idempotencyKey })).version).toBe(2);
    expect(reused).toBeInstanceOf(ProblemError);
  });

  it('update() reads, applies the function and writes with If-Match', async () => {
    const { client, recorder } = context;
    const id = randomId('update');
    await client.create({ id, type: 'counter', state: { n: 0 } });
    const updated = await client.update<{ n: number }>(id, (s) => ({ ...s, n: s.n + 1 }), { status: 'counted' });
    expect(updated).toMatchObject({ version: 2, status: 'counted', state: { n: 1 } });
    expect(recorder.to('PUT', `/workflows/${id}`).map((r) => [r.headers['if-match'], r.status])).toEqual([['"1"', 200]]);
    await expect(client.update(randomId('missing'), (s) => s)).rejects.toBeInstanceOf(NotFoundProblem);
  });

  leaseSuite(context);
  watchSuite(context);
});
