/**
 * The behaviour every `WorkflowStore` backend must show, as one suite run against each backend (Keyv-style
 * compliance tests). It uses only the public API: `#workflow-store`, Jest and fast-check.
 *
 * `makeStore(env)` returns a connected store; `env` holds extra configuration strings (e.g.
 * `{ WORKFLOW_MAX_STATE_BYTES: '1024' }`) laid over the backend's own. Every test uses ids of its own, so tests
 * never see each other's data even on one shared store.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  AlreadyExistsError,
  DEFAULT_STATUS,
  DEFAULT_TENANT,
  IdempotencyKeyReusedError,
  InvalidInputError,
  LABEL_PATTERN,
  NotFoundError,
  StateTooLargeError,
  StoreUnavailableError,
  VersionConflictError,
  WorkflowStoreError,
  type CreateInput,
  type JsonObject,
  type JsonValue,
  type Workflow,
  type WorkflowPatch,
  type WorkflowStore,
  replayOf,
  workflowJsonBytes,
  workflowJsonText,
} from '#workflow-store';
import { mergePatch } from '../support/merge-patch-oracle.js';

export type ContractStore = WorkflowStore & { close(): Promise<void> };
export type MakeStore = (env?: Record<string, string>) => Promise<ContractStore>;

export interface ContractOptions {
  /** Workflows in the pagination test; default 3000. */
  listSize?: number;
  /** Runs of the model-based property; default 50. */
  propertyRuns?: number;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** Clock slack between this process and the backend (same machine) plus scheduling on a loaded box. */
const CLOCK_SLACK_MS = 1000;

let sequence = 0;
/** An id (or label) nobody else uses: `label-<time><random><seq>`, safe charset, well under 64 characters. */
function uniq(label: string): string {
  sequence += 1;
  const random = Math.floor(Math.random() * 36 ** 6).toString(36);
  return `${label}-${Date.now().toString(36)}${random}${sequence.toString(36)}`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const sleepUntil = (epochMs: number): Promise<void> => sleep(epochMs - Date.now());

/** The rejection of `promise`; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`expected a rejection, but it resolved with ${JSON.stringify(value)}`);
}

/** Asserts that `promise` rejects with an instance of `type` and returns that error. */
async function rejectsWith<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  const error = await rejection(promise);
  if (!(error instanceof type)) {
    throw new Error(`expected ${type.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
  return error;
}

function ms(iso: string): number {
  return Date.parse(iso);
}

/** Checks an ISO-8601 UTC timestamp (`Z`, not an offset) that is a real instant. */
function expectIsoUtc(value: string): void {
  expect(value).toMatch(ISO_UTC);
  expect(Number.isNaN(ms(value))).toBe(false);
}

function expectNear(actualMs: number, expectedMs: number, slackMs = CLOCK_SLACK_MS): void {
  expect(Math.abs(actualMs - expectedMs)).toBeLessThanOrEqual(slackMs);
}


export function describeWorkflowStoreContract(name: string, makeStore: MakeStore, options: ContractOptions = {}): void {
  const listSize = options.listSize ?? 3000;
  const propertyRuns = options.propertyRuns ?? 50;

  describe(`WorkflowStore contract: ${name}`, () => {
    let store: ContractStore;
    const extraStores: ContractStore[] = [];

    /** A store with extra configuration, closed after the suite. */
    async function storeWith(env: Record<string, string>): Promise<ContractStore> {
      const extra = await makeStore(env);
      extraStores.push(extra);
      return extra;
    }

    beforeAll(async () => {
      store = await makeStore();
    });

    afterAll(async () => {
      for (const extra of extraStores.splice(0)) await extra.close();
      await store?.close();
    });

    async function createOne(overrides: Partial<CreateInput> = {}): Promise<Workflow> {
      return store.create({ id: uniq('wf'), type: 'contract', state: { n: 0 }, ...overrides });
    }

    describe('create', () => {
      it('returns version 1, the input, ISO-8601 UTC timestamps with createdAt === updatedAt, and status "created" by default', async () => {
        const id = uniq('create');
        const before = Date.now();
        const created = await store.create({ id, type: 'invoice-review', state: { amount: 12, tags: ['a'] } });
        const after = Date.now();
        expect(created).toMatchObject({ id, type: 'invoice-review', status: DEFAULT_STATUS, version: 1, state: { amount: 12, tags: ['a'] } });
        expect(DEFAULT_STATUS).toBe('created');
        for (const field of [created.createdAt, created.updatedAt, created.expiresAt]) expectIsoUtc(field);
        expect(created.createdAt).toBe(created.updatedAt);
        expect(ms(created.createdAt)).toBeGreaterThanOrEqual(before - CLOCK_SLACK_MS);
        expect(ms(created.createdAt)).toBeLessThanOrEqual(after + CLOCK_SLACK_MS);
        expect(await store.get(id)).toEqual(created);
      });

      it('keeps a given status', async () => {
        const created = await createOne({ status: 'review' });
        expect(created.status).toBe('review');
        expect((await store.get(created.id))?.status).toBe('review');
      });

      it('sets expiresAt to now + ttlSeconds, given or the WORKFLOW_STATE_TTL default', async () => {
        const custom = await storeWith({ WORKFLOW_STATE_TTL: '77', WORKFLOW_MAX_TTL: '1000' });
        const now = Date.now();
        const byDefault = await custom.create({ id: uniq('ttl'), type: 'contract', state: {} });
        expect(byDefault.ttlSeconds).toBe(77);
        expectNear(ms(byDefault.expiresAt), now + 77_000);
        expect(ms(byDefault.expiresAt) - ms(byDefault.updatedAt)).toBe(77_000);

        const given = await custom.create({ id: uniq('ttl'), type: 'contract', state: {}, ttlSeconds: 500 });
        expect(given.ttlSeconds).toBe(500);
        expectNear(ms(given.expiresAt), Date.now() + 500_000);
        expect(ms(given.expiresAt) - ms(given.updatedAt)).toBe(500_000);
        expect(await custom.get(given.id)).toEqual(given);
      });

      it('generates a UUID v7 id when none is given', async () => {
        const first = await store.create({ type: 'contract', state: { k: 1 } });
        const second = await store.create({ type: 'contract', state: { k: 2 } });
        expect(first.id).toMatch(UUID_V7);
        expect(second.id).toMatch(UUID_V7);
        expect(second.id).not.toBe(first.id);
        expect((await store.get(first.id))?.state).toEqual({ k: 1 });
        expect((await store.get(second.id))?.state).toEqual({ k: 2 });
      });

      it('refuses a taken id with AlreadyExistsError carrying currentVersion, and leaves the stored workflow unchanged', async () => {
        const created = await createOne({ state: { original: true } });
        const saved = await store.save(created.id, { state: { original: 'saved' } });
        const error = await rejectsWith(store.create({ id: created.id, type: 'other', status: 'x', state: { clobbered: true } }), AlreadyExistsError);
        expect(error.currentVersion).toBe(2);
        expect(error.id).toBe(created.id);
        expect(error.code).toBe('already-exists');
        expect(error).toBeInstanceOf(WorkflowStoreError);
        expect(await store.get(created.id)).toEqual(saved);
      });
    });

    describe('get', () => {
      it('returns null for an id that was never stored', async () => {
        expect(await store.get(uniq('never'))).toBeNull();
      });

      it('returns copies: mutating a returned workflow, or the input after create, changes nothing stored', async () => {
        const input = { id: uniq('copy'), type: 'contract', state: { nested: { list: [1, 2] }, n: 1 } as JsonObject };
        const created = await store.create(input);
        (input.state.nested as JsonObject).list = ['mutated-input'];
        input.state.n = 99;
        (created.state.nested as JsonObject).list = ['mutated-result'];
        created.version = 42;

        const first = await store.get(input.id);
        expect(first?.state).toEqual({ nested: { list: [1, 2] }, n: 1 });
        expect(first?.version).toBe(1);
        if (!first) throw new Error('unreachable');
        (first.state.nested as JsonObject).list = ['mutated-get'];
        first.state.added = true;
        first.status = 'hacked';

        const second = await store.get(input.id);
        expect(second?.state).toEqual({ nested: { list: [1, 2] }, n: 1 });
        expect(second?.status).toBe(DEFAULT_STATUS);

        const patchState: JsonObject = { extra: { deep: 1 } };
        const updated = await store.update(input.id, { state: patchState });
        (patchState.extra as JsonObject).deep = 2;
        (updated.state.extra as JsonObject).deep = 3;
        expect((await store.get(input.id))?.state).toEqual({ nested: { list: [1, 2] }, n: 1, extra: { deep: 1 } });
      });

      it('getJson gives the state as stored JSON text, and workflowJsonText() the exact JSON of get()', async () => {
        expect(await store.getJson(uniq('never'))).toBeNull();
        const created = await createOne({ state: { text: 'é ✓ "quoted"', list: [], deep: { x: 0.30000000000000004 } } });
        const stored = await store.getJson(created.id);
        const read = await store.get(created.id);
        if (!stored || !read) throw new Error('expected the workflow');
        expect(JSON.parse(stored.stateJson)).toEqual(read.state);
        expect(workflowJsonText(stored)).toBe(JSON.stringify(read));
        await expect(store.getJson('bad id')).rejects.toBeInstanceOf(InvalidInputError);
      });

      it('getJsonBytes gives the state as stored UTF-8 bytes, and workflowJsonBytes() the exact UTF-8 JSON of get()', async () => {
        expect(await store.getJsonBytes(uniq('never'))).toBeNull();
        const created = await createOne({ state: { text: 'é 漢 🙂 "quoted" \\ \n', list: [], deep: { x: 0.30000000000000004 } } });
        const stored = await store.getJsonBytes(created.id);
        const read = await store.get(created.id);
        if (!stored || !read) throw new Error('expected the workflow');
        expect(Buffer.isBuffer(stored.stateBytes)).toBe(true);
        expect(JSON.parse(stored.stateBytes.toString('utf8'))).toEqual(read.state);
        expect(workflowJsonBytes(stored).equals(Buffer.from(JSON.stringify(read)))).toBe(true);
        await expect(store.getJsonBytes('bad id')).rejects.toBeInstanceOf(InvalidInputError);
      });

      it('saveJson writes like save and answers with the exact JSON a get() then gives', async () => {
        const id = uniq('savejson');
        const first = await store.saveJson(id, { type: 'contract', state: { a: [1, { b: 'ü' }] } });
        expect(first.workflow.version).toBe(1);
        expect(workflowJsonText(first)).toBe(JSON.stringify(await store.get(id)));
        const second = await store.saveJson(id, { state: { a: [] } }, { expectedVersion: 1 });
        expect(workflowJsonText(second)).toBe(JSON.stringify(await store.get(id)));
        await expect(store.saveJson(id, { state: {} }, { expectedVersion: 1 })).rejects.toBeInstanceOf(VersionConflictError);
        await expect(store.saveJson(uniq('absent'), { state: {} }, { expectedVersion: 1 })).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('save', () => {
      it('creates at version 1 when absent, with the default status and a default type', async () => {
        const id = uniq('save-new');
        const saved = await store.save(id, { state: { a: 1 } });
        expect(saved).toMatchObject({ id, version: 1, status: DEFAULT_STATUS, state: { a: 1 } });
        expect(saved.type).toMatch(LABEL_PATTERN);
        expect(saved.createdAt).toBe(saved.updatedAt);
        expect(await store.get(id)).toEqual(saved);

        const typed = await store.save(uniq('save-new'), { type: 'typed', status: 'draft', state: {} });
        expect(typed).toMatchObject({ version: 1, type: 'typed', status: 'draft' });
      });

      it('replaces the state at version + 1, keeping createdAt, type, status and ttlSeconds when omitted', async () => {
        const created = await createOne({ type: 'keep-type', status: 'keep-status', state: { old: 1, gone: true }, ttlSeconds: 300 });
        await sleep(15);
        const saved = await store.save(created.id, { state: { fresh: 2 } });
        expect(saved).toMatchObject({ id: created.id, version: 2, type: 'keep-type', status: 'keep-status', ttlSeconds: 300 });
        expect(saved.state).toEqual({ fresh: 2 });
        expect(saved.createdAt).toBe(created.createdAt);
        expect(ms(saved.updatedAt)).toBeGreaterThan(ms(created.updatedAt));
        expect(ms(saved.expiresAt) - ms(saved.updatedAt)).toBe(300_000);
        expect(await store.get(created.id)).toEqual(saved);

        const relabelled = await store.save(created.id, { type: 'new-type', status: 'new-status', state: { fresh: 3 } });
        expect(relabelled).toMatchObject({ version: 3, type: 'new-type', status: 'new-status', state: { fresh: 3 } });
        expect(await store.get(created.id)).toEqual(relabelled);
      });

      it('with expectedVersion is a compare-and-set: VersionConflictError when stale, NotFoundError when absent', async () => {
        const created = await createOne({ state: { v: 1 } });
        const next = await store.save(created.id, { state: { v: 2 } }, { expectedVersion: 1 });
        expect(next.version).toBe(2);

        const conflict = await rejectsWith(store.save(created.id, { state: { v: 'stale' } }, { expectedVersion: 1 }), VersionConflictError);
        expect(conflict.currentVersion).toBe(2);
        expect(conflict.expectedVersion).toBe(1);
        expect(await store.get(created.id)).toEqual(next);

        const missing = uniq('save-cas-missing');
        await rejectsWith(store.save(missing, { state: {} }, { expectedVersion: 1 }), NotFoundError);
        expect(await store.get(missing)).toBeNull();
      });
    });

    describe('update', () => {
      it('applies a JSON Merge Patch (RFC 7396): null deletes, objects merge, arrays and scalars replace', async () => {
        const state: JsonObject = {
          keep: 1,
          drop: 'x',
          nested: { a: 1, b: { c: 2, d: 3 } },
          list: [1, 2, 3],
          scalar: 's',
          toObject: 5,
          toScalar: { x: 1 },
        };
        const created = await createOne({ state });
        const patch: JsonObject = {
          drop: null,
          nested: { b: { d: null, e: 4 }, f: 5 },
          list: [9],
          scalar: 2,
          toObject: { y: 1, z: null },
          toScalar: 'now a string',
          added: { x: [] },
          absentDeleted: null,
        };
        const updated = await store.update(created.id, { state: patch });
        const expected = {
          keep: 1,
          nested: { a: 1, b: { c: 2, e: 4 }, f: 5 },
          list: [9],
          scalar: 2,
          toObject: { y: 1 },
          toScalar: 'now a string',
          added: { x: [] },
        };
        expect(updated.state).toEqual(expected);
        expect(mergePatch(state, patch)).toEqual(expected);
        expect(updated.version).toBe(2);
        expect(updated.createdAt).toBe(created.createdAt);
        expect(await store.get(created.id)).toEqual(updated);
      });

      it('changes type and status, and leaves the state alone when the patch has none', async () => {
        const created = await createOne({ type: 'before', status: 'draft', state: { x: 1 } });
        const relabelled = await store.update(created.id, { status: 'review' });
        expect(relabelled).toMatchObject({ type: 'before', status: 'review', version: 2, state: { x: 1 } });
        const retyped = await store.update(created.id, { type: 'after', state: {} });
        expect(retyped).toMatchObject({ type: 'after', status: 'review', version: 3, state: { x: 1 } });
        expect(await store.get(created.id)).toEqual(retyped);
      });

      it('grows the version by exactly 1 per update', async () => {
        const created = await createOne();
        for (let i = 1; i <= 5; i++) {
          const updated = await store.update(created.id, { state: { n: i } });
          expect(updated.version).toBe(1 + i);
        }
        expect((await store.get(created.id))?.version).toBe(6);
      });

      it('applies with a matching expectedVersion and refuses a stale one with VersionConflictError carrying currentVersion', async () => {
        const created = await createOne({ state: { n: 0 } });
        const updated = await store.update(created.id, { state: { n: 1 } }, { expectedVersion: 1 });
        expect(updated.version).toBe(2);
        const conflict = await rejectsWith(store.update(created.id, { state: { n: 'stale' } }, { expectedVersion: 1 }), VersionConflictError);
        expect(conflict.currentVersion).toBe(2);
        expect(conflict.expectedVersion).toBe(1);
        const ahead = await rejectsWith(store.update(created.id, { state: { n: 'ahead' } }, { expectedVersion: 7 }), VersionConflictError);
        expect(ahead.currentVersion).toBe(2);
        expect(await store.get(created.id)).toEqual(updated);
      });

      it('throws NotFoundError for a missing workflow and creates nothing', async () => {
        const id = uniq('update-missing');
        await rejectsWith(store.update(id, { state: { a: 1 } }), NotFoundError);
        await rejectsWith(store.update(id, { state: { a: 1 } }, { expectedVersion: 1 }), NotFoundError);
        expect(await store.get(id)).toBeNull();
      });

      it('refuses server-owned fields in the patch with InvalidInputError and changes nothing', async () => {
        const created = await createOne({ state: { n: 1 } });
        const owned: Record<string, unknown>[] = [
          { id: uniq('other') },
          { version: 10 },
          { createdAt: new Date(0).toISOString() },
          { updatedAt: new Date(0).toISOString() },
          { expiresAt: new Date(0).toISOString() },
          { ttlSeconds: 5 },
          { somethingElse: 1 },
        ];
        for (const fields of owned) {
          const patch = { ...fields, state: { n: 2 } } as unknown as WorkflowPatch;
          await rejectsWith(store.update(created.id, patch), InvalidInputError);
        }
        expect(await store.get(created.id)).toEqual(created);
      });

      it('stores a __proto__ key as plain data and pollutes no prototype', async () => {
        const created = await store.create({
          id: uniq('proto'),
          type: 'contract',
          state: JSON.parse('{"__proto__": {"pollutedOnCreate": true}, "keep": 1}') as JsonObject,
        });
        const patch = JSON.parse('{"state": {"__proto__": {"polluted": true}, "nested": {"__proto__": {"polluted": true}}}}') as WorkflowPatch;
        const updated = await store.update(created.id, patch);
        const stored = await store.get(created.id);

        for (const probe of [{}, Object.create(null) as object, structuredClone({}), updated.state, stored?.state]) {
          const record = probe as Record<string, unknown>;
          expect(record.polluted).toBeUndefined();
          expect(record.pollutedOnCreate).toBeUndefined();
        }
        expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
        if (!stored) throw new Error('stored workflow missing');
        expect(Object.hasOwn(stored.state, '__proto__')).toBe(true);
        expect(Object.hasOwn(stored.state.nested as object, '__proto__')).toBe(true);
        expect(JSON.parse(JSON.stringify(stored.state))).toEqual(
          JSON.parse('{"__proto__": {"pollutedOnCreate": true, "polluted": true}, "keep": 1, "nested": {"__proto__": {"polluted": true}}}'),
        );
        expect(JSON.stringify(stored.state)).toBe(JSON.stringify(updated.state));
        expect(JSON.stringify(stored.state)).toContain('"__proto__":{"pollutedOnCreate":true,"polluted":true}');
      });

      it('keeps numbers, empty arrays, empty objects and unicode byte-exact across updates', async () => {
        const tricky: JsonObject = {
          float: 0.30000000000000004,
          maxSafe: Number.MAX_SAFE_INTEGER,
          minSafe: Number.MIN_SAFE_INTEGER,
          big: 1e21,
          tiny: 5e-324,
          negative: -0.5,
          zero: 0,
          emptyArray: [],
          emptyObject: {},
          nestedEmpty: { a: [], b: {}, c: [[]] },
          text: 'é漢字🙂\u2028"\\\u0000',
          nul: null,
        };
        const created = await createOne({ state: tricky });
        expect(JSON.stringify(created.state)).toBe(JSON.stringify(tricky));
        const updated = await store.update(created.id, { state: { other: 1 } });
        const stored = await store.get(created.id);
        for (const result of [updated, stored]) {
          for (const [key, value] of Object.entries(tricky)) {
            expect(JSON.stringify(result?.state[key])).toBe(JSON.stringify(value));
          }
        }
        expect(stored?.state.float).toBe(0.30000000000000004);
        expect(stored?.state.maxSafe).toBe(9007199254740991);
        expect(stored?.state.emptyArray).toEqual([]);
        expect(Array.isArray(stored?.state.emptyArray)).toBe(true);
        expect(stored?.state.emptyObject).toEqual({});
        expect(Array.isArray(stored?.state.emptyObject)).toBe(false);
      });
    });

    describe('concurrency', () => {
      it('50 concurrent updates with the same expectedVersion: exactly one wins, 49 get VersionConflictError', async () => {
        const created = await createOne({ state: { winner: null } });
        const results = await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) => store.update(created.id, { state: { winner: i } }, { expectedVersion: created.version })),
        );
        const won = results.filter((r): r is PromiseFulfilledResult<Workflow> => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(49);
        for (const failure of lost) {
          expect(failure.reason).toBeInstanceOf(VersionConflictError);
          expect((failure.reason as VersionConflictError).currentVersion).toBeGreaterThan(created.version);
        }
        const final = await store.get(created.id);
        expect(final?.version).toBe(created.version + 1);
        expect(final?.state).toEqual(won[0]?.value.state);
      });

      it('20 concurrent unconditional updates each adding a key: all succeed, none is lost', async () => {
        const created = await createOne({ state: { base: true } });
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.update(created.id, { state: { [`k${i}`]: i } })));
        expect(new Set(results.map((r) => r.version))).toEqual(new Set(Array.from({ length: 20 }, (_, i) => i + 2)));
        const final = await store.get(created.id);
        expect(final?.version).toBe(21);
        const expected: JsonObject = { base: true };
        for (let i = 0; i < 20; i++) expected[`k${i}`] = i;
        expect(final?.state).toEqual(expected);
      });

      it('20 concurrent unconditional saves: every one gets its own version', async () => {
        const created = await createOne();
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.save(created.id, { state: { i } })));
        expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
        const final = await store.get(created.id);
        expect(final?.version).toBe(21);
        expect(final?.state).toEqual(results.find((r) => r.version === 21)?.state);
      });
    });

    describe('mutate', () => {
      it('increments a counter correctly under 10 concurrent mutates', async () => {
        const created = await createOne({ state: { counter: 0 } });
        await Promise.all(
          Array.from({ length: 10 }, () =>
            store.mutate(created.id, async (current) => {
              await sleep(Math.random() * 5);
              return { state: { ...current.state, counter: (current.state.counter as number) + 1 } };
            }),
          ),
        );
        const final = await store.get(created.id);
        expect(final?.state.counter).toBe(10);
        expect(final?.version).toBe(11);
      });

      it('calls fn again, on a fresh read, after a concurrent write between its read and its write', async () => {
        const created = await createOne({ type: 'm-type', status: 'm-status', state: { counter: 1 } });
        const seen: number[] = [];
        const result = await store.mutate(created.id, async (current) => {
          seen.push(current.version);
          if (seen.length === 1) await store.save(created.id, { state: { counter: 100 } });
          return { state: { counter: (current.state.counter as number) + 1 } };
        });
        expect(seen).toEqual([1, 2]);
        expect(result).toMatchObject({ version: 3, type: 'm-type', status: 'm-status', state: { counter: 101 } });
        expect(await store.get(created.id)).toEqual(result);
      });

      it('gives up with VersionConflictError when every attempt loses the race (maxAttempts 1)', async () => {
        const created = await createOne({ state: { counter: 1 } });
        let calls = 0;
        await rejectsWith(
          store.mutate(
            created.id,
            async (current) => {
              calls += 1;
              await store.save(created.id, { state: { counter: 50 } });
              return { state: { counter: (current.state.counter as number) + 1 } };
            },
            { maxAttempts: 1 },
          ),
          VersionConflictError,
        );
        expect(calls).toBe(1);
        const final = await store.get(created.id);
        expect(final).toMatchObject({ version: 2, state: { counter: 50 } });
      });

      it('may change type and status; NotFoundError on a missing workflow without calling fn', async () => {
        const created = await createOne({ type: 'a-type', status: 'a-status' });
        const changed = await store.mutate(created.id, (current) => ({ type: 'b-type', status: 'b-status', state: { ...current.state, x: 1 } }));
        expect(changed).toMatchObject({ type: 'b-type', status: 'b-status', version: 2, state: { n: 0, x: 1 } });
        let called = false;
        const missing = uniq('mutate-missing');
        await rejectsWith(
          store.mutate(missing, () => {
            called = true;
            return { state: {} };
          }),
          NotFoundError,
        );
        expect(called).toBe(false);
        expect(await store.get(missing)).toBeNull();
      });
    });

    describe('delete', () => {
      it('removes the workflow: get returns null and list skips it', async () => {
        const type = uniq('del');
        const doomed = await createOne({ type });
        const kept = await createOne({ type });
        await expect(store.delete(doomed.id)).resolves.toEqual({ id: doomed.id, version: 1 });
        expect(await store.get(doomed.id)).toBeNull();
        const page = await store.list({ type });
        expect(page.items.map((w) => w.id)).toEqual([kept.id]);
        expect(page.nextCursor).toBeNull();
      });

      it('throws NotFoundError on a missing workflow, and on a second delete', async () => {
        await rejectsWith(store.delete(uniq('del-missing')), NotFoundError);
        const created = await createOne();
        await store.delete(created.id);
        await rejectsWith(store.delete(created.id), NotFoundError);
        await rejectsWith(store.delete(created.id, { expectedVersion: 1 }), NotFoundError);
      });

      it('refuses a stale expectedVersion with VersionConflictError and keeps the workflow; the right one deletes', async () => {
        const created = await createOne();
        const updated = await store.update(created.id, { state: { n: 1 } });
        const conflict = await rejectsWith(store.delete(created.id, { expectedVersion: 1 }), VersionConflictError);
        expect(conflict.currentVersion).toBe(2);
        expect(await store.get(created.id)).toEqual(updated);
        await store.delete(created.id, { expectedVersion: 2 });
        expect(await store.get(created.id)).toBeNull();
      });

      it('lets the id be created afresh at version 1 after a delete', async () => {
        const created = await createOne({ state: { first: true } });
        await store.update(created.id, { state: { n: 1 } });
        await store.delete(created.id);
        const again = await store.create({ id: created.id, type: 'contract', state: { second: true } });
        expect(again).toMatchObject({ version: 1, state: { second: true } });
        expect(await store.get(created.id)).toEqual(again);
      });
    });

    describe('list', () => {
      it(`walks ${listSize} workflows in pages of 100: each exactly once, in stable order, then nextCursor null`, async () => {
        const type = uniq('page');
        const ids: string[] = [];
        for (let start = 0; start < listSize; start += 200) {
          const batch = Array.from({ length: Math.min(200, listSize - start) }, (_, i) => `${type}-${String(start + i).padStart(5, '0')}`);
          await Promise.all(batch.map((id) => store.create({ id, type, state: { id } })));
          ids.push(...batch);
        }

        const firstDefault = await store.list({ type });
        expect(firstDefault.items).toHaveLength(100);
        expect(firstDefault.nextCursor).not.toBeNull();

        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        for (;;) {
          const page = await store.list({ type, limit: 100, ...(cursor === undefined ? {} : { cursor }) });
          pages += 1;
          expect(page.items.length).toBeLessThanOrEqual(100);
          for (const item of page.items) {
            expect(item.type).toBe(type);
            expect(item.state).toEqual({ id: item.id });
          }
          seen.push(...page.items.map((w) => w.id));
          if (page.nextCursor === null) break;
          expect(page.items).toHaveLength(100);
          cursor = page.nextCursor;
          if (pages > listSize / 100 + 2) throw new Error(`list did not end after ${pages} pages`);
        }
        expect(seen).toHaveLength(listSize);
        expect(new Set(seen).size).toBe(listSize);
        expect([...seen].sort()).toEqual([...ids].sort());
        // Stable: a second walk over the unchanged store gives the same order.
        const again: string[] = [];
        cursor = undefined;
        do {
          const page = await store.list({ type, limit: 250, ...(cursor === undefined ? {} : { cursor }) });
          again.push(...page.items.map((w) => w.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        expect(again).toEqual(seen);

        const big = await store.list({ type, limit: 1000 });
        expect(big.items).toHaveLength(Math.min(1000, listSize));
        expect(big.items.map((w) => w.id)).toEqual(seen.slice(0, 1000));
      }, 120_000);

      it('filters by type, by status, and by both; a relabelled workflow moves between filters', async () => {
        const [t1, t2, s1, s2] = [uniq('ft1'), uniq('ft2'), uniq('fs1'), uniq('fs2')];
        const make = (type: string, status: string, count: number) =>
          Promise.all(Array.from({ length: count }, () => createOne({ type, status })));
        const t1s1 = await make(t1, s1, 3);
        const t1s2 = await make(t1, s2, 2);
        const t2s1 = await make(t2, s1, 4);
        const idsOf = async (query: { type?: string; status?: string }) => {
          const page = await store.list({ ...query, limit: 1000 });
          expect(page.nextCursor).toBeNull();
          for (const item of page.items) {
            if (query.type !== undefined) expect(item.type).toBe(query.type);
            if (query.status !== undefined) expect(item.status).toBe(query.status);
          }
          return page.items.map((w) => w.id).sort();
        };
        const sorted = (...groups: Workflow[][]) => groups.flat().map((w) => w.id).sort();
        expect(await idsOf({ type: t1 })).toEqual(sorted(t1s1, t1s2));
        expect(await idsOf({ type: t2 })).toEqual(sorted(t2s1));
        expect(await idsOf({ status: s1 })).toEqual(sorted(t1s1, t2s1));
        expect(await idsOf({ status: s2 })).toEqual(sorted(t1s2));
        expect(await idsOf({ type: t1, status: s1 })).toEqual(sorted(t1s1));
        expect(await idsOf({ type: t1, status: s2 })).toEqual(sorted(t1s2));
        expect(await idsOf({ type: t2, status: s2 })).toEqual([]);

        const moved = t1s1[0];
        if (!moved) throw new Error('unreachable');
        await store.update(moved.id, { type: t2, status: s2 });
        expect(await idsOf({ type: t1, status: s1 })).toEqual(sorted(t1s1.slice(1)));
        expect(await idsOf({ type: t2, status: s2 })).toEqual([moved.id]);
        expect(await idsOf({ status: s1 })).toEqual(sorted(t1s1.slice(1), t2s1));
        expect(await idsOf({ type: t1 })).toEqual(sorted(t1s1.slice(1), t1s2));
      });

      it('refuses a cursor from another filter, a garbage cursor, and a limit outside 1..1000 with InvalidInputError', async () => {
        const type = uniq('cur');
        const status = uniq('cst');
        await Promise.all(Array.from({ length: 3 }, () => createOne({ type, status })));
        const page = await store.list({ type, limit: 1 });
        expect(page.items).toHaveLength(1);
        const cursor = page.nextCursor;
        if (cursor === null) throw new Error('expected a next page');
        // The cursor works with its own filter.
        expect((await store.list({ type, limit: 1, cursor })).items).toHaveLength(1);

        await rejectsWith(store.list({ type: uniq('other'), cursor }), InvalidInputError);
        await rejectsWith(store.list({ status, cursor }), InvalidInputError);
        await rejectsWith(store.list({ type, status, cursor }), InvalidInputError);
        await rejectsWith(store.list({ cursor }), InvalidInputError);
        for (const garbage of ['not-a-cursor', '%%%', 'eyJ2IjoxfQ', Buffer.from('{"v":2,"p":"x","k":"y"}').toString('base64url'), 'x'.repeat(2000)]) {
          await rejectsWith(store.list({ type, cursor: garbage }), InvalidInputError);
        }
        for (const limit of [0, -1, 1001, 1.5, Number.NaN]) {
          await rejectsWith(store.list({ type, limit }), InvalidInputError);
        }
        await rejectsWith(store.list({ type, unknown: 1 } as unknown as { type: string }), InvalidInputError);
        await rejectsWith(store.list({ type: 'bad type' }), InvalidInputError);
      });
    });

    describe('touch', () => {
      it('extends expiresAt without changing version, state or updatedAt', async () => {
        const created = await createOne({ state: { s: 1 }, ttlSeconds: 100 });
        await sleep(30);
        const touched = await store.touch(created.id);
        expect(touched).toMatchObject({ id: created.id, version: 1, state: { s: 1 }, updatedAt: created.updatedAt, createdAt: created.createdAt, ttlSeconds: 100 });
        expect(ms(touched.expiresAt)).toBeGreaterThan(ms(created.expiresAt));
        expectNear(ms(touched.expiresAt), Date.now() + 100_000);
        expect(await store.get(created.id)).toEqual(touched);
      });

      it('with ttlSeconds sets the workflow’s sliding TTL, which later writes keep', async () => {
        const created = await createOne({ ttlSeconds: 100 });
        const touched = await store.touch(created.id, { ttlSeconds: 200 });
        expect(touched.ttlSeconds).toBe(200);
        expect(touched.version).toBe(1);
        expectNear(ms(touched.expiresAt), Date.now() + 200_000);
        const saved = await store.save(created.id, { state: { later: true } });
        expect(saved.ttlSeconds).toBe(200);
        expect(ms(saved.expiresAt) - ms(saved.updatedAt)).toBe(200_000);
        const updated = await store.update(created.id, { state: { again: true } });
        expect(updated.ttlSeconds).toBe(200);
        const shorter = await store.touch(created.id, { ttlSeconds: 50 });
        expectNear(ms(shorter.expiresAt), Date.now() + 50_000);
        expect(await store.get(created.id)).toEqual(shorter);
      });

      it('throws NotFoundError on a missing workflow, InvalidInputError above WORKFLOW_MAX_TTL (nothing changes)', async () => {
        const missing = uniq('touch-missing');
        await rejectsWith(store.touch(missing), NotFoundError);
        expect(await store.get(missing)).toBeNull();
        const limited = await storeWith({ WORKFLOW_STATE_TTL: '50', WORKFLOW_MAX_TTL: '100' });
        const created = await limited.create({ id: uniq('touch-max'), type: 'contract', state: {} });
        for (const ttlSeconds of [101, 0, -1, 1.5]) {
          await rejectsWith(limited.touch(created.id, { ttlSeconds }), InvalidInputError);
        }
        expect(await limited.get(created.id)).toEqual(created);
        expect((await limited.touch(created.id, { ttlSeconds: 100 })).ttlSeconds).toBe(100);
      });
    });

    describe('TTL', () => {
      it('expired workflows are gone for every method; writes and touches slide the TTL; restore keeps expiresAt', async () => {
        const listType = uniq('exp-list');
        const otherType = uniq('exp-other');
        const t0 = Date.now();
        // ttl 3 s, never written again: gone at t0 + 3.9 s.
        const control = await store.create({ id: uniq('exp-control'), type: otherType, state: {}, ttlSeconds: 3 });
        const sliding = await store.create({ id: uniq('exp-slide'), type: otherType, state: { v: 1 }, ttlSeconds: 3 });
        const touched = await store.create({ id: uniq('exp-touch'), type: otherType, state: {}, ttlSeconds: 3 });
        const restoredId = uniq('exp-restore');
        const restoreOutcome = await store.restore({
          id: restoredId,
          type: otherType,
          status: 'restored',
          state: { r: 1 },
          version: 4,
          createdAt: new Date(t0 - 3_600_000).toISOString(),
          updatedAt: new Date(t0 - 60_000).toISOString(),
          expiresAt: new Date(t0 + 2_700).toISOString(),
          ttlSeconds: 60,
        });
        expect(restoreOutcome).toBe('written');
        const short = await Promise.all(
          ['get', 'update', 'delete', 'touch', 'save', 'saveCas', 'create', 'mutate', 'l1', 'l2', 'l3'].map((label) =>
            store.create({ id: uniq(`exp-${label}`), type: listType, state: { label }, ttlSeconds: 1 }),
          ),
        );
        const idOf = (label: string): string => {
          const found = short.find((w) => w.state.label === label);
          if (!found) throw new Error(label);
          return found.id;
        };
        const long = await Promise.all([1, 2].map(() => store.create({ id: uniq('exp-long'), type: listType, state: {}, ttlSeconds: 120 })));

        await sleepUntil(t0 + 1_800);
        const slid = await store.save(sliding.id, { state: { v: 2 } });
        expect(slid.ttlSeconds).toBe(3);
        const retouched = await store.touch(touched.id);
        expect(ms(retouched.expiresAt)).toBeGreaterThan(ms(touched.expiresAt));
        expect(await store.get(restoredId)).toMatchObject({ version: 4, state: { r: 1 } });

        await sleepUntil(t0 + 2_500);
        // The 1-second workflows expired at least 1.4 s ago.
        expect(await store.get(idOf('get'))).toBeNull();
        await rejectsWith(store.update(idOf('update'), { state: { a: 1 } }), NotFoundError);
        await rejectsWith(store.delete(idOf('delete')), NotFoundError);
        await rejectsWith(store.touch(idOf('touch')), NotFoundError);
        await rejectsWith(store.save(idOf('saveCas'), { state: {} }, { expectedVersion: 1 }), NotFoundError);
        await rejectsWith(store.mutate(idOf('mutate'), (w) => ({ state: w.state })), NotFoundError);
        const resaved = await store.save(idOf('save'), { type: 'fresh', state: { fresh: true } });
        expect(resaved).toMatchObject({ version: 1, type: 'fresh', state: { fresh: true } });
        expect(resaved.ttlSeconds).not.toBe(1);
        const recreated = await store.create({ id: idOf('create'), type: 'fresh', state: { again: true } });
        expect(recreated.version).toBe(1);
        expect(ms(recreated.createdAt)).toBeGreaterThan(ms(short[0]?.createdAt ?? ''));
        const listed = await store.list({ type: listType, limit: 50 });
        expect(listed.items.map((w) => w.id).sort()).toEqual(long.map((w) => w.id).sort());
        expect(listed.nextCursor).toBeNull();
        for (const label of ['get', 'update', 'delete', 'touch', 'saveCas', 'mutate', 'l1']) expect(await store.get(idOf(label))).toBeNull();

        await sleepUntil(t0 + 3_900);
        expect(await store.get(control.id)).toBeNull();
        await rejectsWith(store.touch(control.id), NotFoundError);
        expect(await store.get(sliding.id)).toMatchObject({ version: 2, state: { v: 2 } });
        expect(await store.get(touched.id)).toMatchObject({ version: 1 });
        expect(await store.get(restoredId)).toBeNull();
        const others = await store.list({ type: otherType });
        expect(others.items.map((w) => w.id).sort()).toEqual([sliding.id, touched.id].sort());
      }, 30_000);

      it('refuses a per-workflow ttlSeconds above WORKFLOW_MAX_TTL, or not a positive integer, and stores nothing', async () => {
        const limited = await storeWith({ WORKFLOW_STATE_TTL: '50', WORKFLOW_MAX_TTL: '100' });
        for (const ttlSeconds of [101, 100_000, 0, -5, 2.5]) {
          const id = uniq('ttl-bad');
          await rejectsWith(limited.create({ id, type: 'contract', state: {}, ttlSeconds }), InvalidInputError);
          await rejectsWith(limited.save(id, { state: {}, ttlSeconds }), InvalidInputError);
          expect(await limited.get(id)).toBeNull();
        }
        const existing = await limited.create({ id: uniq('ttl-ok'), type: 'contract', state: {}, ttlSeconds: 100 });
        expect(existing.ttlSeconds).toBe(100);
        await rejectsWith(limited.save(existing.id, { state: { x: 1 }, ttlSeconds: 101 }), InvalidInputError);
        expect(await limited.get(existing.id)).toEqual(existing);
      });
    });

    describe('invalid input', () => {
      const badIds = ['a*b', 'a:b', '{x}', 'a b', 'a\nb', '', 'x'.repeat(65), '..', '.hidden', '\u0430bc', 'a?b', 'a[b]', 'a/b', 'é'];

      it('refuses malformed ids on every method with InvalidInputError and stores nothing', async () => {
        const type = uniq('badid');
        const valid = await createOne();
        for (const id of badIds) {
          await rejectsWith(store.create({ id, type, state: {} }), InvalidInputError);
          await rejectsWith(store.save(id, { type, state: {} }), InvalidInputError);
          await rejectsWith(store.get(id), InvalidInputError);
          await rejectsWith(store.update(id, { state: {} }), InvalidInputError);
          await rejectsWith(store.delete(id), InvalidInputError);
          await rejectsWith(store.touch(id), InvalidInputError);
          await rejectsWith(store.mutate(id, (w) => ({ state: w.state })), InvalidInputError);
          await rejectsWith(store.restore({ ...valid, id, type }), InvalidInputError);
        }
        expect(await store.list({ type })).toEqual({ items: [], nextCursor: null });
        expect('x'.repeat(64)).toMatch(LABEL_PATTERN);
        const longest = 'x'.repeat(60) + uniq('').slice(-4);
        expect((await store.create({ id: longest, type, state: {} })).id).toBe(longest);
      });

      it('refuses a bad type or status with InvalidInputError and stores nothing', async () => {
        const bad = ['', 'a b', 'a:b', 'a*', '{t}', 'x'.repeat(65), '.dot', 'ü', 'a\u0000b'];
        const existing = await createOne({ type: 'good', status: 'fine' });
        for (const label of bad) {
          const id = uniq('badlabel');
          await rejectsWith(store.create({ id, type: label, state: {} }), InvalidInputError);
          await rejectsWith(store.create({ id, type: 'ok', status: label, state: {} }), InvalidInputError);
          await rejectsWith(store.save(id, { type: label, state: {} }), InvalidInputError);
          await rejectsWith(store.save(id, { status: label, state: {} }), InvalidInputError);
          expect(await store.get(id)).toBeNull();
          await rejectsWith(store.update(existing.id, { type: label }), InvalidInputError);
          await rejectsWith(store.update(existing.id, { status: label }), InvalidInputError);
          await rejectsWith(store.mutate(existing.id, (w) => ({ status: label, state: w.state })), InvalidInputError);
        }
        await rejectsWith(store.create({ id: uniq('badlabel'), state: {} } as unknown as CreateInput), InvalidInputError);
        expect(await store.get(existing.id)).toEqual(existing);
      });

      it('refuses a state that is not a JSON object with InvalidInputError and stores nothing', async () => {
        const existing = await createOne({ state: { keep: 1 } });
        const badStates: unknown[] = [[], [1, 2], null, 'text', 42, true, undefined];
        for (const state of badStates) {
          const id = uniq('badstate');
          await rejectsWith(store.create({ id, type: 'contract', state } as unknown as CreateInput), InvalidInputError);
          await rejectsWith(store.save(id, { state } as unknown as { state: JsonObject }), InvalidInputError);
          expect(await store.get(id)).toBeNull();
          await rejectsWith(store.save(existing.id, { state } as unknown as { state: JsonObject }), InvalidInputError);
          if (state !== undefined) await rejectsWith(store.update(existing.id, { state } as unknown as WorkflowPatch), InvalidInputError);
          await rejectsWith(store.mutate(existing.id, () => ({ state }) as unknown as { state: JsonObject }), InvalidInputError);
        }
        const cyclic: JsonObject = {};
        (cyclic as Record<string, unknown>).self = cyclic;
        await rejectsWith(store.save(existing.id, { state: cyclic }), InvalidInputError);
        await rejectsWith(store.save(existing.id, { state: { n: 1n } as unknown as JsonObject }), InvalidInputError);
        expect(await store.get(existing.id)).toEqual(existing);
      });

      it('refuses unknown fields (strict input) in create and save input and in write options', async () => {
        const id = uniq('strict');
        await rejectsWith(store.create({ id, type: 'contract', state: {}, extra: 1 } as unknown as CreateInput), InvalidInputError);
        await rejectsWith(store.create({ id, type: 'contract', state: {}, version: 5 } as unknown as CreateInput), InvalidInputError);
        await rejectsWith(store.save(id, { state: {}, id: 'x' } as unknown as { state: JsonObject }), InvalidInputError);
        await rejectsWith(store.save(id, { state: {}, version: 9 } as unknown as { state: JsonObject }), InvalidInputError);
        await rejectsWith(store.create({ id, type: 'contract', state: {} }, { bogus: true } as unknown as { operationId: string }), InvalidInputError);
        expect(await store.get(id)).toBeNull();
      });

      it('refuses a state larger than WORKFLOW_MAX_STATE_BYTES with StateTooLargeError, counting UTF-8 bytes, and stores nothing', async () => {
        const small = await storeWith({ WORKFLOW_MAX_STATE_BYTES: '1024' });
        // {"s":"…"} is 8 bytes plus the string.
        const atLimit = await small.create({ id: uniq('big-ok'), type: 'contract', state: { s: 'x'.repeat(1016) } });
        expect(Buffer.byteLength(JSON.stringify(atLimit.state))).toBe(1024);

        const id = uniq('big');
        const tooLarge = await rejectsWith(small.create({ id, type: 'contract', state: { s: 'x'.repeat(1017) } }), StateTooLargeError);
        expect(tooLarge.maxBytes).toBe(1024);
        expect(tooLarge.sizeBytes).toBe(1025);
        expect(tooLarge).toBeInstanceOf(WorkflowStoreError);
        // 600 characters but 1200 bytes.
        await rejectsWith(small.create({ id, type: 'contract', state: { s: 'é'.repeat(600) } }), StateTooLargeError);
        await rejectsWith(small.save(id, { state: { s: '🙂'.repeat(300) } }), StateTooLargeError);
        expect(await small.get(id)).toBeNull();

        const existing = await small.create({ id: uniq('big-existing'), type: 'contract', state: { s: 'x'.repeat(500) } });
        await rejectsWith(small.save(existing.id, { state: { s: 'x'.repeat(2000) } }), StateTooLargeError);
        await rejectsWith(small.update(existing.id, { state: { t: 'y'.repeat(600) } }), StateTooLargeError);
        await rejectsWith(small.mutate(existing.id, () => ({ state: { s: 'z'.repeat(5000) } })), StateTooLargeError);
        expect(await small.get(existing.id)).toEqual(existing);
      });

      it('refuses a malformed operationId or expectedVersion with InvalidInputError and stores nothing', async () => {
        const existing = await createOne();
        for (const operationId of ['', 'a|b', 'a=b', 'a b', 'x'.repeat(129), 'ü', 'a:b']) {
          const id = uniq('badop');
          await rejectsWith(store.create({ id, type: 'contract', state: {} }, { operationId }), InvalidInputError);
          await rejectsWith(store.save(id, { state: {} }, { operationId }), InvalidInputError);
          expect(await store.get(id)).toBeNull();
          await rejectsWith(store.update(existing.id, { state: { x: 1 } }, { operationId }), InvalidInputError);
          await rejectsWith(store.delete(existing.id, { operationId }), InvalidInputError);
          await rejectsWith(store.touch(existing.id, { operationId }), InvalidInputError);
        }
        for (const expectedVersion of [0, -1, 1.5, Number.NaN]) {
          await rejectsWith(store.save(existing.id, { state: { x: 1 } }, { expectedVersion }), InvalidInputError);
          await rejectsWith(store.update(existing.id, { state: { x: 1 } }, { expectedVersion }), InvalidInputError);
          await rejectsWith(store.delete(existing.id, { expectedVersion }), InvalidInputError);
        }
        expect(await store.get(existing.id)).toEqual(existing);
        const okId = 'Az09_.~-'.repeat(16);
        expect(okId).toHaveLength(128);
        expect((await store.update(existing.id, { state: { x: 1 } }, { operationId: okId })).version).toBe(2);
      });
    });

    describe('idempotency (operationId)', () => {
      it('a repeated create is applied once and answers with the workflow, marked as a replay of what it did', async () => {
        const id = uniq('idem-create');
        const first = await store.create({ id, type: 'contract', state: { n: 1 } }, { operationId: 'op-create' });
        expect(replayOf(first)).toBeUndefined();
        const repeat = await store.create({ id, type: 'contract', state: { n: 1 } }, { operationId: 'op-create' });
        expect(repeat).toEqual(first);
        expect(replayOf(repeat)).toEqual({ outcome: 'created', version: 1, changedSince: false });
        const later = await store.save(id, { state: { n: 2 } });
        // Written since: the answer is the workflow as the create left it, from the history (WORKFLOW_HISTORY_VERSIONS).
        const repeatAfterWrite = await store.create({ id, type: 'contract', state: { n: 1 } }, { operationId: 'op-create' });
        expect(repeatAfterWrite).toEqual(first);
        expect(replayOf(repeatAfterWrite)).toEqual({ outcome: 'created', version: 1, changedSince: true });
        expect(later.version).toBe(2);
        expect((await store.get(id))?.version).toBe(2);
        // A different operation on the taken id is still refused.
        await rejectsWith(store.create({ id, type: 'contract', state: {} }, { operationId: 'op-other' }), AlreadyExistsError);
      });

      it('a create without an id takes its id from the key: the retry returns the workflow the first attempt created', async () => {
        const key = uniq('idem-noid');
        const first = await store.create({ type: 'contract', state: { n: 1 } }, { operationId: key });
        expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        const retry = await store.create({ type: 'contract', state: { n: 1 } }, { operationId: key });
        expect(retry).toEqual(first);
        expect(replayOf(retry)).toEqual({ outcome: 'created', version: 1, changedSince: false });
        await rejectsWith(store.create({ type: 'contract', state: { n: 2 } }, { operationId: key }), IdempotencyKeyReusedError);
        const other = await store.create({ type: 'contract', state: { n: 1 } }, { operationId: uniq('idem-noid') });
        expect(other.id).not.toBe(first.id);
        expect((await store.get(first.id))?.version).toBe(1);
      });

      it('a repeated save, update, touch or delete is applied once and answers with the original outcome', async () => {
        const created = await createOne({ state: { n: 0 } });
        const saved = await store.save(created.id, { state: { n: 1 } }, { operationId: 'op-save' });
        expect(saved.version).toBe(2);
        const savedAgain = await store.save(created.id, { state: { n: 1 } }, { operationId: 'op-save' });
        expect(savedAgain).toEqual(saved);
        expect(replayOf(savedAgain)).toEqual({ outcome: 'written', version: 2, changedSince: false });
        const json = await store.saveJson(created.id, { state: { n: 1 } }, { operationId: 'op-save' });
        expect(json.workflow.version).toBe(2);
        expect(replayOf(json)).toEqual({ outcome: 'written', version: 2, changedSince: false });

        const updated = await store.update(created.id, { state: { u: 1 } }, { operationId: 'op-update' });
        expect(updated.version).toBe(3);
        expect(await store.update(created.id, { state: { u: 1 } }, { operationId: 'op-update' })).toEqual(updated);

        await sleep(10);
        const touched = await store.touch(created.id, { operationId: 'op-touch' });
        expect(touched.version).toBe(3);
        await sleep(10);
        const touchedAgain = await store.touch(created.id, { operationId: 'op-touch' });
        expect(touchedAgain.expiresAt).toBe(touched.expiresAt);
        expect(replayOf(touchedAgain)).toEqual({ outcome: 'touched', version: 3, changedSince: false });

        const other = await store.save(created.id, { state: { n: 'other' } });
        expect(other.version).toBe(4);
        // Written since: the answer is the workflow as that write left it, while the history holds that version.
        const late = await store.save(created.id, { state: { n: 1 } }, { operationId: 'op-save' });
        expect(late).toEqual(saved);
        expect(replayOf(late)).toEqual({ outcome: 'written', version: 2, changedSince: true });
        const lateUpdate = await store.update(created.id, { state: { u: 1 } }, { operationId: 'op-update' });
        expect(lateUpdate).toEqual(touched);
        expect(replayOf(lateUpdate)).toEqual({
          outcome: 'written',
          version: 3,
          changedSince: true,
        });
        const final = await store.get(created.id);
        expect(final).toEqual(other);

        const deleted = await store.delete(created.id, { operationId: 'op-delete' });
        expect(deleted).toEqual({ id: created.id, version: 4 });
        const deletedAgain = await store.delete(created.id, { operationId: 'op-delete' });
        expect(deletedAgain).toEqual({ id: created.id, version: 4 });
        expect(replayOf(deletedAgain)).toEqual({ outcome: 'deleted', version: 4, changedSince: false });
        expect(await store.get(created.id)).toBeNull();
        await rejectsWith(store.delete(created.id, { operationId: 'op-delete-2' }), NotFoundError);
        // A replay of a write whose workflow is gone says so instead of inventing one.
        await rejectsWith(store.save(created.id, { state: { n: 1 } }, { operationId: 'op-save' }), NotFoundError);
      });

      it('a key reused for a different request is refused with IdempotencyKeyReusedError on every write, and nothing changes', async () => {
        const created = await store.create({ id: uniq('idem-reuse'), type: 'contract', state: { n: 0 } }, { operationId: 'k-create' });
        const id = created.id;
        const saved = await store.save(id, { state: { n: 1 } }, { operationId: 'k-save' });
        const refused: [string, () => Promise<unknown>][] = [
          ['create, other body', () => store.create({ id, type: 'contract', state: { n: 9 } }, { operationId: 'k-create' })],
          ['save after create', () => store.save(id, { state: { n: 0 } }, { operationId: 'k-create' })],
          ['save, other body', () => store.save(id, { state: { n: 2 } }, { operationId: 'k-save' })],
          ['save, other labels', () => store.save(id, { status: 'x', state: { n: 1 } }, { operationId: 'k-save' })],
          ['save, stale expectedVersion', () => store.save(id, { state: { n: 1 } }, { operationId: 'k-save', expectedVersion: 1 })],
          ['saveJson, other body', () => store.saveJson(id, { state: { n: 3 } }, { operationId: 'k-save' })],
          ['update', () => store.update(id, { state: { n: 1 } }, { operationId: 'k-save' })],
          ['mutate', () => store.mutate(id, (w) => ({ state: w.state }), { operationId: 'k-save' })],
          ['touch', () => store.touch(id, { operationId: 'k-save' })],
          ['delete', () => store.delete(id, { operationId: 'k-save' })],
          ['delete with If-Match', () => store.delete(id, { operationId: 'k-save', expectedVersion: 2 })],
        ];
        for (const [what, call] of refused) {
          const error = await rejectsWith(call(), IdempotencyKeyReusedError);
          expect([what, error.code]).toEqual([what, 'idempotency-key-reused']);
        }
        expect(await store.get(id)).toEqual(saved);
      });

      it('keys of one workflow do not affect another', async () => {
        const a = await createOne();
        const b = await createOne();
        expect((await store.update(a.id, { state: { x: 1 } }, { operationId: 'shared-op' })).version).toBe(2);
        expect((await store.update(b.id, { state: { x: 2 } }, { operationId: 'shared-op' })).version).toBe(2);
      });

      it('a retry after 10 000 other keyed writes to the same workflow is still not applied again', async () => {
        const created = await createOne({ state: { n: -1 } });
        const first = await store.update(created.id, { state: { first: true } }, { operationId: 'k-first' });
        for (let start = 0; start < 10_000; start += 250) {
          await Promise.all(
            Array.from({ length: 250 }, (_, i) => store.save(created.id, { state: { n: start + i } }, { operationId: `k-${start + i}` })),
          );
        }
        const version = first.version + 10_000;
        expect((await store.get(created.id))?.version).toBe(version);
        const retry = await store.update(created.id, { state: { first: true } }, { operationId: 'k-first' });
        expect(retry.version).toBe(version);
        expect(replayOf(retry)).toEqual({ outcome: 'written', version: first.version, changedSince: true });
        const retrySave = await store.save(created.id, { state: { n: 0 } }, { operationId: 'k-0' });
        expect(retrySave.version).toBe(version);
        expect((await store.get(created.id))?.version).toBe(version);
      }, 120_000);

      it('remembers a key for IDEMPOTENCY_TTL: after the window the same request is applied again', async () => {
        const short = await makeStore({ IDEMPOTENCY_TTL: '1' });
        try {
          const created = await short.create({ id: uniq('idem-ttl'), type: 'contract', state: {} });
          expect((await short.save(created.id, { state: { a: 1 } }, { operationId: 'k-window' })).version).toBe(2);
          expect((await short.save(created.id, { state: { a: 1 } }, { operationId: 'k-window' })).version).toBe(2);
          await sleep(1_100);
          const again = await short.save(created.id, { state: { a: 1 } }, { operationId: 'k-window' });
          expect(again.version).toBe(3);
          expect(replayOf(again)).toBeUndefined();
        } finally {
          await short.close();
        }
      });

      it('never remembers a key longer than its workflow lives', async () => {
        const created = await store.create({ id: uniq('idem-life'), type: 'contract', state: {}, ttlSeconds: 1 }, { operationId: 'k-life' });
        await sleep(1_100);
        const again = await store.create({ id: created.id, type: 'contract', state: {}, ttlSeconds: 1 }, { operationId: 'k-life' });
        expect(replayOf(again)).toBeUndefined();
        expect(again.createdAt).not.toBe(created.createdAt);
      });
    });

    describe('restore', () => {
      function record(overrides: Partial<Workflow> = {}): Workflow {
        const now = Date.now();
        return {
          id: uniq('restore'),
          type: 'restored-type',
          status: 'restored-status',
          state: { restored: true, list: [1, { a: null }] },
          version: 7,
          createdAt: new Date(now - 86_400_000).toISOString(),
          updatedAt: new Date(now - 3_600_000).toISOString(),
          expiresAt: new Date(now + 600_000).toISOString(),
          ttlSeconds: 900,
          ...overrides,
        };
      }

      it('writes a complete record keeping id, version, timestamps, ttlSeconds and state', async () => {
        const rec = record();
        expect(await store.restore(rec)).toBe('written');
        expect(await store.get(rec.id)).toEqual(rec);
        const page = await store.list({ type: rec.type, status: rec.status, limit: 1000 });
        expect(page.items.map((w) => w.id)).toContain(rec.id);
        // The next write continues from the restored version and TTL.
        const next = await store.update(rec.id, { state: { more: 1 } });
        expect(next).toMatchObject({ version: 8, createdAt: rec.createdAt, ttlSeconds: 900 });
        expect(ms(next.expiresAt) - ms(next.updatedAt)).toBe(900_000);
      });

      it('answers skipped-same / skipped-newer when the stored version is equal / higher, and writes when it is lower', async () => {
        const rec = record({ version: 5 });
        expect(await store.restore(rec)).toBe('written');
        expect(await store.restore({ ...rec, state: { equal: true } })).toBe('skipped-same');
        expect(await store.restore({ ...rec, version: 3, state: { older: true } })).toBe('skipped-newer');
        expect(await store.get(rec.id)).toEqual(rec);
        const newer = { ...rec, version: 6, state: { newer: true }, status: 'newer' };
        expect(await store.restore(newer)).toBe('written');
        expect(await store.get(rec.id)).toEqual(newer);

        const live = await createOne();
        expect(await store.restore({ ...record(), id: live.id, version: 1 })).toBe('skipped-same');
        expect(await store.get(live.id)).toEqual(live);
      });

      it('answers skipped-expired for a record whose expiresAt has passed, and stores nothing', async () => {
        const rec = record({ expiresAt: new Date(Date.now() - 1000).toISOString() });
        expect(await store.restore(rec)).toBe('skipped-expired');
        expect(await store.get(rec.id)).toBeNull();
        const live = await createOne();
        expect(await store.restore({ ...record({ expiresAt: new Date(Date.now() - 1).toISOString() }), id: live.id, version: 50 })).toBe(
          'skipped-expired',
        );
        expect(await store.get(live.id)).toEqual(live);
      });

      it('keeps the remaining TTL of the record (expiresAt), not a fresh ttlSeconds', async () => {
        const expiresAt = new Date(Date.now() + 45_000).toISOString();
        const rec = record({ expiresAt, ttlSeconds: 3_000 });
        expect(await store.restore(rec)).toBe('written');
        const stored = await store.get(rec.id);
        expect(stored?.expiresAt).toBe(expiresAt);
        expectNear(ms(stored?.expiresAt ?? ''), Date.now() + 45_000);
      });

      it('refuses an incomplete or malformed record with InvalidInputError', async () => {
        const rec = record();
        const { version: _version, ...withoutVersion } = rec;
        await rejectsWith(store.restore(withoutVersion as unknown as Workflow), InvalidInputError);
        await rejectsWith(store.restore({ ...rec, createdAt: 'yesterday' }), InvalidInputError);
        await rejectsWith(store.restore({ ...rec, version: 0 }), InvalidInputError);
        await rejectsWith(store.restore({ ...rec, state: [] as unknown as JsonObject }), InvalidInputError);
        await rejectsWith(store.restore({ ...rec, extra: 1 } as unknown as Workflow), InvalidInputError);
        expect(await store.get(rec.id)).toBeNull();
      });
    });

    describe('count', () => {
      it('counts live workflows only: written, restored and deleted ones, not expired ones', async () => {
        const own = await storeWith({});
        expect(await own.count()).toBe(0);
        const a = await own.create({ type: 'count', state: {} });
        await own.create({ type: 'count', state: {} });
        await own.save(uniq('count'), { state: {} });
        const now = Date.now();
        const rec = (id: string, expiresInMs: number): Workflow => ({
          id,
          type: 'count',
          status: 'r',
          state: {},
          version: 2,
          createdAt: new Date(now - 10_000).toISOString(),
          updatedAt: new Date(now - 10_000).toISOString(),
          expiresAt: new Date(now + expiresInMs).toISOString(),
          ttlSeconds: 60,
        });
        expect(await own.restore(rec(uniq('count'), 50_000))).toBe('written');
        const shortLived = rec(uniq('count'), 1500);
        expect(await own.restore(shortLived)).toBe('written');
        expect(await own.count()).toBe(5);
        await own.delete(a.id);
        expect(await own.count()).toBe(4);
        await sleepUntil(ms(shortLived.expiresAt) + 50);
        expect(await own.count()).toBe(3);
      });
    });

    describe('tenants', () => {
      it('keeps tenants apart: the same id in two tenants, lists, counts, deletes and restores each confined to one', async () => {
        const own = await storeWith({});
        const [a, b] = [own.forTenant(uniq('ta')), own.forTenant(uniq('tb'))];
        expect(own.forTenant('default')).toBe(own); // the default tenant is the store itself
        expect(own.forTenant(DEFAULT_TENANT)).toBe(own);
        const id = uniq('shared');
        const inA = await a.create({ id, type: 'tenant', state: { owner: 'a' } });
        expect(await b.get(id)).toBeNull();
        const inB = await b.create({ id, type: 'tenant', state: { owner: 'b' } });
        await b.update(id, { state: { more: 1 } });
        expect(await a.get(id)).toEqual(inA);
        expect((await b.get(id))?.version).toBe(2);
        expect(await own.get(id)).toBeNull();
        expect((await a.list({ type: 'tenant' })).items.map((w) => w.state)).toEqual([{ owner: 'a' }]);
        expect(await a.count()).toBe(1);
        expect(await own.count()).toBe(0);
        await a.delete(id);
        expect(await a.get(id)).toBeNull();
        expect((await b.get(id))?.state).toEqual({ owner: 'b', more: 1 });
        expect(await b.restore({ ...inB, version: 9 })).toBe('written');
        expect(await a.get(id)).toBeNull();
        expect(a.forTenant('default')).toBe(own); // a view's tenant lookups go through the store
      });

      it('refuses a tenant that could break out of its key segment', async () => {
        for (const tenant of ['', 'a:b', '*', '{x}', '.hidden', 'x'.repeat(33), 'a b', 'ü']) {
          expect(() => store.forTenant(tenant)).toThrow(InvalidInputError);
        }
      });
    });

    describe('lifecycle', () => {
      it('ping resolves; close is idempotent; a closed store refuses calls with a typed error instead of answering', async () => {
        const own = await makeStore();
        await expect(own.ping()).resolves.toBeUndefined();
        const created = await own.create({ id: uniq('life'), type: 'contract', state: {} });
        expect((await own.get(created.id))?.version).toBe(1);
        await expect(own.close()).resolves.toBeUndefined();
        await expect(own.close()).resolves.toBeUndefined();
        const error = await rejection(own.get(created.id));
        expect(error).toBeInstanceOf(StoreUnavailableError);
        await rejectsWith(own.ping(), StoreUnavailableError);
      });
    });

    describe('model-based (fast-check)', () => {
      it(`agrees with a tiny model over random command sequences (${propertyRuns} runs)`, async () => {
        await fc.assert(
          fc.asyncProperty(fc.commands(commandArbitraries(), { maxCommands: 25 }), async (commands) => {
            const namespace = uniq('pb');
            const setup = () => ({
              model: { ids: [0, 1, 2, 3].map((i) => `${namespace}-${i}`), entries: new Map<string, ModelEntry>() } satisfies Model,
              real: { store } satisfies Real,
            });
            await fc.asyncModelRun(setup, commands);
          }),
          { numRuns: propertyRuns, endOnFailure: true },
        );
      }, 120_000);
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Model-based testing: commands over a pool of four ids, checked against a Map id -> { version, type, status, state }.

interface ModelEntry {
  version: number;
  type: string;
  status: string;
  state: JsonObject;
}
interface Model {
  ids: string[];
  entries: Map<string, ModelEntry>;
}
interface Real {
  store: WorkflowStore;
}
type Expectation = 'none' | 'current' | 'stale';
type Cmd = fc.AsyncCommand<Model, Real>;

function expectedVersionFor(mode: Expectation, entry: ModelEntry | undefined): number | undefined {
  if (mode === 'none') return undefined;
  const current = entry?.version ?? 1;
  return mode === 'current' ? current : current + 1;
}

function expectMatches(actual: Workflow | null, id: string, entry: ModelEntry | undefined): void {
  if (!entry) {
    expect(actual).toBeNull();
    return;
  }
  expect(actual).not.toBeNull();
  expect(actual?.id).toBe(id);
  expect(actual?.version).toBe(entry.version);
  expect(actual?.type).toBe(entry.type);
  expect(actual?.status).toBe(entry.status);
  expect(actual?.state).toEqual(entry.state);
}

function expectConflict(error: unknown, entry: ModelEntry): void {
  expect(error).toBeInstanceOf(VersionConflictError);
  expect((error as VersionConflictError).currentVersion).toBe(entry.version);
}

function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

class CreateCmd implements Cmd {
  constructor(
    readonly slot: number,
    readonly type: string,
    readonly status: string | undefined,
    readonly state: JsonObject,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const id = model.ids[this.slot] as string;
    const entry = model.entries.get(id);
    const input: CreateInput = { id, type: this.type, state: cloneJson(this.state), ...(this.status ? { status: this.status } : {}) };
    if (entry) {
      const error = await rejection(real.store.create(input));
      expect(error).toBeInstanceOf(AlreadyExistsError);
      expect((error as AlreadyExistsError).currentVersion).toBe(entry.version);
      return;
    }
    const next: ModelEntry = { version: 1, type: this.type, status: this.status ?? DEFAULT_STATUS, state: cloneJson(this.state) };
    expectMatches(await real.store.create(input), id, next);
    model.entries.set(id, next);
  }
  toString(): string {
    return `create(${this.slot}, ${this.type}, ${String(this.status)}, ${JSON.stringify(this.state)})`;
  }
}

class GetCmd implements Cmd {
  constructor(readonly slot: number) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const id = model.ids[this.slot] as string;
    expectMatches(await real.store.get(id), id, model.entries.get(id));
  }
  toString(): string {
    return `get(${this.slot})`;
  }
}

class SaveCmd implements Cmd {
  constructor(
    readonly slot: number,
    readonly type: string | undefined,
    readonly status: string | undefined,
    readonly state: JsonObject,
    readonly mode: Expectation,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const id = model.ids[this.slot] as string;
    const entry = model.entries.get(id);
    const expectedVersion = expectedVersionFor(this.mode, entry);
    const input = { state: cloneJson(this.state), ...(this.type ? { type: this.type } : {}), ...(this.status ? { status: this.status } : {}) };
    const call = real.store.save(id, input, expectedVersion === undefined ? {} : { expectedVersion });
    if (expectedVersion !== undefined && !entry) {
      expect(await rejection(call)).toBeInstanceOf(NotFoundError);
      return;
    }
    if (this.mode === 'stale' && entry) {
      expectConflict(await rejection(call), entry);
      return;
    }
    const result = await call;
    // A new workflow saved without a type gets the store's default type, whatever it is called.
    const type = this.type ?? entry?.type ?? result.type;
    expect(type).toMatch(LABEL_PATTERN);
    const next: ModelEntry = {
      version: (entry?.version ?? 0) + 1,
      type,
      status: this.status ?? entry?.status ?? DEFAULT_STATUS,
      state: cloneJson(this.state),
    };
    expectMatches(result, id, next);
    model.entries.set(id, next);
  }
  toString(): string {
    return `save(${this.slot}, ${String(this.type)}, ${String(this.status)}, ${JSON.stringify(this.state)}, ${this.mode})`;
  }
}

class UpdateCmd implements Cmd {
  constructor(
    readonly slot: number,
    readonly type: string | undefined,
    readonly status: string | undefined,
    readonly statePatch: JsonObject | undefined,
    readonly mode: Expectation,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const id = model.ids[this.slot] as string;
    const entry = model.entries.get(id);
    const expectedVersion = expectedVersionFor(this.mode, entry);
    const patch: WorkflowPatch = {
      ...(this.type ? { type: this.type } : {}),
      ...(this.status ? { status: this.status } : {}),
      ...(this.statePatch ? { state: cloneJson(this.statePatch) } : {}),
    };
    const call = real.store.update(id, patch, expectedVersion === undefined ? {} : { expectedVersion });
    if (!entry) {
      expect(await rejection(call)).toBeInstanceOf(NotFoundError);
      return;
    }
    if (this.mode === 'stale') {
      expectConflict(await rejection(call), entry);
      return;
    }
    const next: ModelEntry = {
      version: entry.version + 1,
      type: this.type ?? entry.type,
      status: this.status ?? entry.status,
      state: this.statePatch ? (mergePatch(entry.state, this.statePatch) as JsonObject) : entry.state,
    };
    expectMatches(await call, id, next);
    model.entries.set(id, next);
  }
  toString(): string {
    return `update(${this.slot}, ${String(this.type)}, ${String(this.status)}, ${JSON.stringify(this.statePatch)}, ${this.mode})`;
  }
}

class DeleteCmd implements Cmd {
  constructor(
    readonly slot: number,
    readonly mode: Expectation,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const id = model.ids[this.slot] as string;
    const entry = model.entries.get(id);
    const expectedVersion = expectedVersionFor(this.mode, entry);
    const call = real.store.delete(id, expectedVersion === undefined ? {} : { expectedVersion });
    if (!entry) {
      expect(await rejection(call)).toBeInstanceOf(NotFoundError);
      return;
    }
    if (this.mode === 'stale') {
      expectConflict(await rejection(call), entry);
      return;
    }
    await call;
    model.entries.delete(id);
  }
  toString(): string {
    return `delete(${this.slot}, ${this.mode})`;
  }
}

class TouchCmd implements Cmd {
  constructor(readonly slot: number) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const id = model.ids[this.slot] as string;
    const entry = model.entries.get(id);
    const call = real.store.touch(id);
    if (!entry) {
      expect(await rejection(call)).toBeInstanceOf(NotFoundError);
      return;
    }
    expectMatches(await call, id, entry);
  }
  toString(): string {
    return `touch(${this.slot})`;
  }
}

function commandArbitraries(): fc.Arbitrary<Cmd>[] {
  const slot = fc.integer({ min: 0, max: 3 });
  const type = fc.constantFrom('t-a', 't-b');
  const status = fc.constantFrom('created', 's-x', 's-y');
  const key = fc.constantFrom('a', 'b', 'c', 'd');
  const leaf: fc.Arbitrary<JsonValue> = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null));
  const value: fc.Arbitrary<JsonValue> = fc.oneof(
    leaf,
    fc.array(leaf, { maxLength: 2 }),
    fc.dictionary(key, leaf, { maxKeys: 2, noNullPrototype: true }),
  );
  const state = fc.dictionary(key, value, { maxKeys: 3, noNullPrototype: true });
  const patchValue: fc.Arbitrary<JsonValue> = fc.oneof(
    fc.constant(null),
    leaf,
    fc.array(leaf, { maxLength: 2 }),
    fc.dictionary(key, fc.oneof(fc.constant(null), leaf), { maxKeys: 2, noNullPrototype: true }),
  );
  const statePatch = fc.dictionary(key, patchValue, { maxKeys: 3, noNullPrototype: true });
  const mode = fc.constantFrom<Expectation>('none', 'current', 'stale');
  return [
    fc.tuple(slot, type, fc.option(status, { nil: undefined }), state).map(([s, t, st, d]) => new CreateCmd(s, t, st, d)),
    slot.map((s) => new GetCmd(s)),
    fc
      .tuple(slot, fc.option(type, { nil: undefined }), fc.option(status, { nil: undefined }), state, mode)
      .map(([s, t, st, d, m]) => new SaveCmd(s, t, st, d, m)),
    fc
      .tuple(slot, fc.option(type, { nil: undefined }), fc.option(status, { nil: undefined }), fc.option(statePatch, { nil: undefined }), mode)
      .map(([s, t, st, p, m]) => new UpdateCmd(s, t, st, p, m)),
    fc.tuple(slot, mode).map(([s, m]) => new DeleteCmd(s, m)),
    slot.map((s) => new TouchCmd(s)),
  ];
}
