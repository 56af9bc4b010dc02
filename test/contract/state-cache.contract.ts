/**
 * The state cache (update without the read) as every backend must show it: two store instances ("replicas", each
 * with its own cache) write the same workflows. An update at a version this instance just wrote or read merges
 * without reading; whatever the other instance did meanwhile (another version, a delete and a re-create that starts
 * the versions again), no update merges onto a state that is not the stored one, none is applied twice, and a stale
 * expected version is still a VersionConflictError. Run against memory, then Redis (state-cache.*.spec.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  AlreadyExistsError,
  NotFoundError,
  VersionConflictError,
  type JsonObject,
  type JsonValue,
  type ValidatingWorkflowStore,
  type Workflow,
} from '#workflow-store';
import { mergePatch } from '../support/merge-patch-oracle.js';
import { randomId, randomPrefix } from '../support/random-ids.js';

export interface Replicas {
  a: ValidatingWorkflowStore;
  b: ValidatingWorkflowStore;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** A cached state must be of a later millisecond than its workflow's creation (state-cache.ts): wait past it. */
const nextMs = (): Promise<void> => sleep(3);

/** Counts the reads the stores make before a write (getForWrite), on every backend object behind them. */
function countReads(stores: ValidatingWorkflowStore[]): { count: number } {
  const counter = { count: 0 };
  for (const backend of new Set(stores.map((s) => s.backend))) {
    const original = backend.getForWrite.bind(backend);
    backend.getForWrite = (...args) => {
      counter.count += 1;
      return original(...args);
    };
  }
  return counter;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

export function describeStateCacheContract(name: string, makeReplicas: () => Promise<Replicas>, options: { runs: number }): void {
  describe(`state cache (update without the read): ${name}`, () => {
    let replicas: Replicas;
    let reads: { count: number };
    beforeAll(async () => {
      replicas = await makeReplicas();
      reads = countReads([replicas.a, replicas.b]);
    });
    afterAll(async () => {
      await replicas?.close();
    });

    it('two replicas update one workflow in turn with expectedVersion: every state is the merge of every patch, one version each', async () => {
      const { a, b } = replicas;
      const id = randomId('turns');
      let expected: JsonObject = { n: 0, list: [1] };
      let version = (await a.create({ id, type: 'job', state: expected })).version;
      await nextMs();
      for (let i = 1; i <= 12; i++) {
        const writer = i % 3 === 0 ? a : i % 2 === 0 ? b : a; // a, b, a, a, a, b...: each sees the other's versions
        const patch: JsonObject = { n: i, [`k${i % 4}`]: i % 5 === 0 ? null : { i }, list: [i] };
        const stale = writer === a ? b : a;
        // The other replica's view is one version behind when it wrote last: that version is refused.
        const updated = await writer.update(id, { state: patch }, { expectedVersion: version });
        expected = mergePatch(expected, patch) as JsonObject;
        expect({ version: updated.version, state: updated.state }).toEqual({ version: version + 1, state: expected });
        version = updated.version;
        const conflict = await rejection(stale.update(id, { state: { never: true } }, { expectedVersion: version - 1 }));
        expect(conflict).toBeInstanceOf(VersionConflictError);
        expect((conflict as VersionConflictError).currentVersion).toBe(version);
      }
      for (const replica of [a, b]) expect((await replica.get(id))?.state).toEqual(expected);
      expect((await a.get(id))?.version).toBe(version);
    });

    it('an update at the version this instance just wrote does not read; one at a version it has not seen does', async () => {
      const { a, b } = replicas;
      const id = randomId('noread');
      await a.create({ id, type: 'job', state: { n: 0 } });
      await nextMs();
      const v2 = await a.update(id, { state: { n: 1 } }, { expectedVersion: 1 }); // read: created in its first ms
      const before = reads.count;
      const v3 = await a.update(id, { state: { n: 2 } }, { expectedVersion: v2.version });
      const v4 = await a.update(id, { status: 'done' });
      expect(reads.count - before).toBe(0);
      expect({ version: v4.version, status: v4.status, state: v4.state, v3: v3.version }).toEqual({ version: 4, status: 'done', state: { n: 2 }, v3: 3 });
      const v5 = await b.update(id, { state: { m: 1 } }, { expectedVersion: 4 }); // b has not seen v4: it reads
      expect(reads.count - before).toBe(1);
      // a's cached v4 is stale now: an unconditional update falls back to a read and merges onto v5.
      const v6 = await a.update(id, { state: { o: 1 } });
      expect({ version: v6.version, state: v6.state }).toEqual({ version: 6, state: { n: 2, m: 1, o: 1 } });
      expect(v5.version).toBe(5);
      // The returned state is the caller's: changing it changes nothing the store uses.
      (v6.state as JsonObject).n = 99;
      const v7 = await a.update(id, { state: { p: 1 } }, { expectedVersion: 6 });
      expect(v7.state).toEqual({ n: 2, m: 1, o: 1, p: 1 });
    });

    it('a delete and a re-create between a cached write or read and an update: the update merges onto the new life', async () => {
      const { a, b } = replicas;
      for (const how of ['written', 'read'] as const) {
        const id = randomId(`aba-${how}`);
        await a.create({ id, type: 'job', state: { old: true, n: 1 } });
        await nextMs();
        await a.update(id, { state: { n: 2 } }, { expectedVersion: 1 }); // a caches v2 of the first life
        if (how === 'read') await a.get(id);
        await b.delete(id);
        await b.create({ id, type: 'job', state: { fresh: true } });
        await nextMs();
        await b.update(id, { state: { m: 1 } }, { expectedVersion: 1 }); // v2 again, another life
        const updated = await a.update(id, { state: { k: 1 } }, { expectedVersion: 2 });
        expect({ how, version: updated.version, state: updated.state }).toEqual({ how, version: 3, state: { fresh: true, m: 1, k: 1 } });
        expect((await b.get(id))?.state).toEqual({ fresh: true, m: 1, k: 1 });
        // The same without expectedVersion: a caches v3; b deletes and re-creates up to v3.
        await b.delete(id);
        await b.create({ id, type: 'job', state: { third: true } });
        await nextMs();
        await b.update(id, { state: { x: 1 } });
        await b.update(id, { state: { y: 1 } });
        const unconditional = await a.update(id, { state: { z: 1 } });
        expect({ version: unconditional.version, state: unconditional.state }).toEqual({ version: 4, state: { third: true, x: 1, y: 1, z: 1 } });
      }
    });

    it('model: updates, saves, deletes and creates from two instances interleaved; each answer and the final state as the model says', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(operation, { minLength: 5, maxLength: 40 }), async (ops) => {
          const tenant = randomPrefix().slice(0, 20);
          const stores = [replicas.a.forTenant(tenant), replicas.b.forTenant(tenant)];
          const model = new Map<string, { version: number; state: JsonObject }>();
          for (const op of ops) await step(stores, model, op);
          for (const id of IDS) {
            for (const store of stores) {
              const stored = await store.get(id);
              const expected = model.get(id);
              expect(stored && { version: stored.version, state: stored.state }).toEqual(expected ?? null);
            }
          }
        }),
        { numRuns: options.runs },
      );
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The model test's operations: two ids (one mostly), small patches (null deletes, arrays replace), expected
// versions current, stale or none, re-creates (delete then create: the versions start again), and pauses so that
// cached states become usable (a state of the creation millisecond is never cached).

const IDS = ['m0', 'm1'];
const anId = fc.constantFrom('m0', 'm0', 'm0', 'm1');

type Op =
  | { kind: 'create' | 'save'; r: number; id: string; n: number }
  | { kind: 'delete' | 'get' | 'recreate'; r: number; id: string }
  | { kind: 'update'; r: number; id: string; patch: JsonObject; expect: 'model' | 'stale' | 'none' }
  | { kind: 'pause' };

const patchValue: fc.Arbitrary<JsonValue> = fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 9 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }), fc.record({ x: fc.integer({ min: 0, max: 3 }) }));
const operation: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('create' as const, 'save' as const), r: fc.nat(1), id: anId, n: fc.nat(9) }),
  fc.record({ kind: fc.constantFrom('delete' as const, 'get' as const, 'recreate' as const), r: fc.nat(1), id: anId }),
  fc.record({
    kind: fc.constant('update' as const),
    r: fc.nat(1),
    id: anId,
    patch: fc.dictionary(fc.constantFrom('a', 'b', 'n'), patchValue, { maxKeys: 2 }) as fc.Arbitrary<JsonObject>,
    expect: fc.constantFrom('model' as const, 'model' as const, 'stale' as const, 'none' as const),
  }),
  fc.constant({ kind: 'pause' as const }),
  fc.constant({ kind: 'pause' as const }),
);

async function step(stores: ValidatingWorkflowStore[], model: Map<string, { version: number; state: JsonObject }>, op: Op): Promise<void> {
  if (op.kind === 'pause') return nextMs();
  const store = stores[op.r] as ValidatingWorkflowStore;
  const current = model.get(op.id);
  const applied = (workflow: Workflow, version: number, state: JsonObject): void => {
    expect({ op, version: workflow.version, state: workflow.state }).toEqual({ op, version, state });
    model.set(op.id, { version, state });
  };
  switch (op.kind) {
    case 'create': {
      const state = { n: op.n };
      if (current) return void expect(await rejection(store.create({ id: op.id, type: 'job', state }))).toBeInstanceOf(AlreadyExistsError);
      return applied(await store.create({ id: op.id, type: 'job', state }), 1, state);
    }
    case 'save': {
      const state = { n: op.n, saved: true };
      return applied(await store.save(op.id, { state }), (current?.version ?? 0) + 1, state);
    }
    case 'recreate': {
      if (current) await store.delete(op.id);
      const state = { life: op.r };
      model.delete(op.id);
      return applied(await store.create({ id: op.id, type: 'job', state }), 1, state);
    }
    case 'delete':
      if (!current) return void expect(await rejection(store.delete(op.id))).toBeInstanceOf(NotFoundError);
      expect((await store.delete(op.id)).version).toBe(current.version);
      model.delete(op.id);
      return;
    case 'get': {
      const stored = await store.get(op.id);
      return void expect(stored && { version: stored.version, state: stored.state }).toEqual(current ?? null);
    }
    case 'update': {
      const expectedVersion = op.expect === 'none' ? undefined : op.expect === 'stale' ? Math.max(1, (current?.version ?? 1) - 1) : (current?.version ?? 1);
      const update = store.update(op.id, { state: op.patch }, expectedVersion === undefined ? {} : { expectedVersion });
      if (!current) return void expect(await rejection(update)).toBeInstanceOf(NotFoundError);
      if (expectedVersion !== undefined && expectedVersion !== current.version) {
        const error = await rejection(update);
        expect(error).toBeInstanceOf(VersionConflictError);
        return void expect((error as VersionConflictError).currentVersion).toBe(current.version);
      }
      return applied(await update, current.version + 1, mergePatch(current.state, op.patch) as JsonObject);
    }
  }
}
