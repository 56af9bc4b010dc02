/**
 * Bounded history (`history`, `getVersion`, `restoreWithHistory`) and replays answered from it, as every backend
 * must show them: one suite run against each backend. Public API only (plus the harness's store factory).
 *
 * The model of what a store holds is simple: each write that makes a new version keeps the record it replaces (as
 * it is stored at that moment: a touch changes the stored record's expiry and TTL, not its version), at most
 * WORKFLOW_HISTORY_VERSIONS of them; a touch keeps none; the history lives and goes with the workflow, and a new
 * life of the id starts without one.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  InvalidInputError,
  NotFoundError,
  VersionNotKeptError,
  replayOf,
  type Workflow,
  type WorkflowHistory,
  type WorkflowStore,
} from '#workflow-store';
import { freshTenant, rejectsWith, sleep, uniq, type FeedHarness, type FeedStore } from './feed-support.js';

/** A complete record for `restore`, expiring `ttlSeconds` from now; earlier versions are older. */
function record(id: string, version: number, state: Record<string, number | string>, ttlSeconds = 600, expiresAt?: number): Workflow {
  const base = Date.UTC(2025, 0, 1, 0, 0, 0, 0);
  return {
    id,
    type: `t${version % 3}`,
    status: `s${version}`,
    state,
    version,
    createdAt: new Date(base).toISOString(),
    updatedAt: new Date(base + version * 60_000 + 7).toISOString(),
    expiresAt: new Date(expiresAt ?? Date.now() + ttlSeconds * 1000).toISOString(),
    ttlSeconds,
  };
}

/** What `history` must answer for a workflow whose stored versions (current last) are `stored`, keeping `keep`. */
function expectedHistory(id: string, stored: readonly Workflow[], keep: number): WorkflowHistory {
  const current = stored.at(-1) as Workflow;
  const kept = stored.slice(0, -1).reverse().slice(0, keep);
  return {
    id,
    currentVersion: current.version,
    oldestVersion: kept.at(-1)?.version ?? current.version,
    versions: [current, ...kept].map((w) => ({ version: w.version, type: w.type, status: w.status, updatedAt: w.updatedAt })),
  };
}

/** Checks `history` and `getVersion` of every version from 1 to current + 1 against the stored versions. */
async function expectKept(what: string, t: WorkflowStore, id: string, stored: readonly Workflow[], keep: number): Promise<void> {
  const expected = expectedHistory(id, stored, keep);
  expect({ what, history: await t.history(id) }).toEqual({ what, history: expected });
  const byVersion = new Map(stored.map((w) => [w.version, w]));
  const keptVersions = new Set(expected.versions.map((v) => v.version));
  for (let version = 1; version <= expected.currentVersion + 1; version++) {
    if (keptVersions.has(version)) {
      expect({ what, version, found: await t.getVersion(id, version) }).toEqual({ what, version, found: byVersion.get(version) });
    } else {
      const error = await rejectsWith(t.getVersion(id, version), VersionNotKeptError, `${what}: getVersion(${version})`);
      expect({ what, version, code: error.code, current: error.currentVersion, oldest: error.oldestVersion }).toEqual({
        what,
        version,
        code: 'version-not-kept',
        current: expected.currentVersion,
        oldest: expected.oldestVersion,
      });
    }
  }
}

async function expectGone(what: string, t: WorkflowStore, id: string, upTo: number): Promise<void> {
  expect({ what, history: await t.history(id) }).toEqual({ what, history: null });
  for (let version = 1; version <= upTo; version++) expect({ what, version, found: await t.getVersion(id, version) }).toEqual({ what, version, found: null });
}

export function describeHistoryContract(name: string, harness: FeedHarness): void {
  describe(`history contract: ${name}`, () => {
    const stores = new Map<string, FeedStore>();

    /** A store keeping `keep` versions (undefined: the default, 10), shared by the tests that want that setting. */
    async function keeping(keep: number | undefined): Promise<WorkflowStore> {
      const key = String(keep);
      let store = stores.get(key);
      if (!store) {
        store = await harness.makeStore(keep === undefined ? {} : { WORKFLOW_HISTORY_VERSIONS: String(keep) });
        stores.set(key, store);
      }
      return store.forTenant(freshTenant('h'));
    }

    beforeAll(async () => {
      await keeping(undefined);
    });

    afterAll(async () => {
      for (const store of stores.values()) await store.close();
      stores.clear();
    });

    for (const keep of [0, 1, 3, undefined]) {
      const kept = keep ?? 10;
      it(`keeps the ${kept} versions before the current one (WORKFLOW_HISTORY_VERSIONS=${keep ?? 'default'}): history and getVersion agree with every write`, async () => {
        const t = await keeping(keep);
        const id = uniq('hist');
        const stored: Workflow[] = [];
        /** Records a write's result as the stored current version (a touch replaces the current one). */
        const wrote = async (what: string, result: Workflow): Promise<void> => {
          if (stored.at(-1)?.version === result.version) stored[stored.length - 1] = result;
          else stored.push(result);
          await expectKept(`${what} (v${result.version})`, t, id, stored, kept);
        };
        await expectGone('before the create', t, id, 2);
        await wrote('create', await t.create({ id, type: 'ha', status: 's1', state: { n: 1 } }));
        await wrote('save', await t.save(id, { status: 's2', state: { n: 2, list: [1, 2] } }));
        await wrote('update', await t.update(id, { type: 'hb', state: { n: null, m: 3 } }));
        await wrote('touch', await t.touch(id, { ttlSeconds: 900 }));
        await wrote('mutate', await t.mutate(id, (w) => ({ status: 's4', state: { ...w.state, mutated: true } })));
        const json = await t.saveJson(id, { state: { n: 5 } });
        await wrote('saveJson', { ...json.workflow, state: JSON.parse(json.stateJson) as Workflow['state'] });
        await wrote('touch with the same ttl', await t.touch(id));
        for (let n = 6; n <= 13; n++) {
          await wrote(`write ${n}`, n % 2 ? await t.save(id, { state: { n } }, { expectedVersion: n - 1 }) : await t.update(id, { status: `s${n}` }));
        }
        expect(stored.at(-1)?.version).toBe(13);
        // Versions are asked for as whole numbers from 1.
        for (const version of [0, -1, 1.5, Number.NaN]) await rejectsWith(t.getVersion(id, version), InvalidInputError, `version ${version}`);
        await rejectsWith(t.history('not an id!'), InvalidInputError);
        await rejectsWith(t.getVersion('not an id!', 1), InvalidInputError);
      });
    }

    it('the history goes with the workflow when it is deleted; a new life of the id starts without one', async () => {
      const t = await keeping(3);
      const id = uniq('del');
      const stored: Workflow[] = [await t.create({ id, type: 'hd', state: { life: 1 } })];
      for (let n = 2; n <= 4; n++) stored.push(await t.save(id, { state: { n } }));
      await expectKept('before the delete', t, id, stored, 3);
      await t.delete(id);
      await expectGone('after the delete', t, id, 5);
      const again = await t.create({ id, type: 'hd', state: { life: 2 } });
      await expectKept('created again', t, id, [again], 3);
      const second = await t.save(id, { state: { life: 2, n: 2 } });
      await expectKept('written again', t, id, [again, second], 3);

      // An upsert after a delete starts a new life too.
      await t.delete(id);
      const upserted = await t.save(id, { type: 'hd', state: { life: 3 } });
      expect(upserted.version).toBe(1);
      await expectKept('upserted after the delete', t, id, [upserted], 3);
    });

    it('the history expires with the workflow, and lives as long as a touch makes it live', async () => {
      const t = await keeping(3);
      const gone = uniq('expiring');
      const touched = uniq('touched');
      const goneStored = [await t.create({ id: gone, type: 'he', state: {}, ttlSeconds: 1 })];
      goneStored.push(await t.save(gone, { state: { n: 2 } }));
      goneStored.push(await t.update(gone, { status: 'x' }));
      const touchedStored = [await t.create({ id: touched, type: 'he', state: {}, ttlSeconds: 1 })];
      touchedStored.push(await t.save(touched, { state: { n: 2 } }));
      touchedStored[1] = await t.touch(touched, { ttlSeconds: 20 });
      await expectKept('before expiry', t, gone, goneStored, 3);
      await sleep(Date.parse((goneStored[2] as Workflow).expiresAt) + 300 - Date.now());
      await expectGone('after expiry', t, gone, 4);
      await expectKept('touched: lives on with its history', t, touched, touchedStored, 3);
      const again = await t.create({ id: gone, type: 'he', state: { life: 2 } });
      await expectKept('a new life after expiry', t, gone, [again], 3);
    });

    it('restoreWithHistory keeps the given earlier versions within the bound; restore without history or over a lower version replaces it', async () => {
      const t = await keeping(3);
      const id = uniq('rest');
      const past = Date.now() - 3_600_000;
      // Earlier versions carry their own (long past) expiry, in any order.
      const history = [3, 1, 5, 2, 4].map((v) => record(id, v, { v }, 600, past + v));
      const current = record(id, 6, { v: 6 });
      expect(await t.restoreWithHistory({ workflow: current, history })).toBe('written');
      const byVersion = (v: number): Workflow => history.find((w) => w.version === v) as Workflow;
      await expectKept('restored', t, id, [byVersion(3), byVersion(4), byVersion(5), current], 3);

      // Skipped restores keep the stored history.
      expect(await t.restoreWithHistory({ workflow: current, history: [record(id, 5, { other: 1 })] })).toBe('skipped-same');
      expect(await t.restoreWithHistory({ workflow: record(id, 4, { v: 4 }), history: [] })).toBe('skipped-newer');
      expect(await t.restore(record(id, 6, { other: 6 }))).toBe('skipped-same');
      await expectKept('after skipped restores', t, id, [byVersion(3), byVersion(4), byVersion(5), current], 3);

      // A write goes on from there: the window moves.
      const seventh = await t.save(id, { state: { v: 7 } });
      expect(seventh.version).toBe(7);
      await expectKept('written after the restore', t, id, [byVersion(4), byVersion(5), current, seventh], 3);

      // A higher version restored with history replaces the history; without one, it has none.
      const eighth = record(id, 8, { v: 8 });
      const ninth = record(id, 9, { v: 9 });
      expect(await t.restoreWithHistory({ workflow: ninth, history: [eighth, record(id, 2, { v: 2 })] })).toBe('written');
      await expectKept('restored over a lower version', t, id, [eighth, ninth], 3);
      const tenth = record(id, 10, { v: 10 });
      expect(await t.restore(tenth)).toBe('written');
      await expectKept('plain restore', t, id, [tenth], 3);

      // An earlier version of another id, or not earlier, is refused and nothing is written.
      await rejectsWith(t.restoreWithHistory({ workflow: record(id, 12, {}), history: [record(uniq('other'), 11, {})] }), InvalidInputError);
      await rejectsWith(t.restoreWithHistory({ workflow: record(id, 12, {}), history: [record(id, 12, {})] }), InvalidInputError);
      await rejectsWith(t.restoreWithHistory({ workflow: record(id, 12, {}), history: [record(id, 13, {})] }), InvalidInputError);
      await rejectsWith(t.restoreWithHistory({ workflow: record(id, 12, {}), history: [{ ...record(id, 11, {}), bogus: 1 } as Workflow] }), InvalidInputError);
      await expectKept('after refused restores', t, id, [tenth], 3);
    });

    it('restoreWithHistory with WORKFLOW_HISTORY_VERSIONS=0 keeps none of the given versions', async () => {
      const t = await keeping(0);
      const id = uniq('rest0');
      const current = record(id, 3, { v: 3 });
      expect(await t.restoreWithHistory({ workflow: current, history: [record(id, 1, {}), record(id, 2, {})] })).toBe('written');
      await expectKept('restored, keeping none', t, id, [current], 0);
    });

    it('kept versions are those just below the current one, also after a restored history with gaps (both backends alike)', async () => {
      // A restore keeps the given versions within [current - bound, current - 1] (both backends); a write after it
      // must hold to the same window, not keep a fixed count of whatever was there.
      const t = await keeping(3);
      const id = uniq('gaps');
      const current = record(id, 6, { v: 6 });
      const five = record(id, 5, { v: 5 });
      const three = record(id, 3, { v: 3 });
      expect(await t.restoreWithHistory({ workflow: current, history: [five, three, record(id, 1, { v: 1 })] })).toBe('written');
      expect((await t.history(id))?.versions.map((v) => v.version)).toEqual([6, 5, 3]);
      const seventh = await t.save(id, { state: { v: 7 } });
      const history = await t.history(id);
      expect({ versions: history?.versions.map((v) => v.version), oldest: history?.oldestVersion }).toEqual({ versions: [7, 6, 5], oldest: 5 });
      await rejectsWith(t.getVersion(id, 3), VersionNotKeptError);
      expect(await t.getVersion(id, 6)).toEqual(current);
      expect(seventh.version).toBe(7);
    });

    it('a restored history lists each version once, even when the export repeats one', async () => {
      const t = await keeping(3);
      const id = uniq('dup');
      const current = record(id, 4, { v: 4 });
      const first = record(id, 3, { copy: 1 });
      const second = record(id, 3, { copy: 2 });
      let outcome: unknown;
      try {
        outcome = await t.restoreWithHistory({ workflow: current, history: [first, second, record(id, 2, { v: 2 })] });
      } catch (error) {
        outcome = error;
      }
      if (outcome instanceof InvalidInputError) return; // refusing the export is fine too
      expect(outcome).toBe('written');
      const history = await t.history(id);
      const versions = history?.versions.map((v) => v.version);
      expect(versions).toEqual([4, 3, 2]);
      const three = await t.getVersion(id, 3);
      expect([first, second]).toContainEqual(three);
    });

    describe('replays answered from the history', () => {
      it('a keyed write repeated after the workflow moved on answers with the workflow as that write produced it', async () => {
        const t = await keeping(undefined);
        const id = uniq('replay');
        const created = await t.create({ id, type: 'hr', state: { n: 1 } }, { operationId: 'k-create' });
        const saved = await t.save(id, { state: { n: 2 } }, { operationId: 'k-save' });
        const savedJson = await t.saveJson(id, { state: { n: 3 } }, { operationId: 'k-save-json' });
        const updated = await t.update(id, { status: 'u', state: { u: 1 } }, { operationId: 'k-update' });
        const mutated = await t.mutate(id, (w) => ({ state: { ...w.state, m: 1 } }), { operationId: 'k-mutate' });
        await t.save(id, { state: { plain: true } });
        await sleep(5);
        const touched = await t.touch(id, { ttlSeconds: 700, operationId: 'k-touch' });
        const later = await t.save(id, { state: { later: true } });
        expect(later.version).toBe(7);

        const repeatCreate = await t.create({ id, type: 'hr', state: { n: 1 } }, { operationId: 'k-create' });
        expect(repeatCreate).toEqual(created);
        expect(replayOf(repeatCreate)).toEqual({ outcome: 'created', version: 1, changedSince: true });
        const repeatSave = await t.save(id, { state: { n: 2 } }, { operationId: 'k-save' });
        expect(repeatSave).toEqual(saved);
        expect(replayOf(repeatSave)).toEqual({ outcome: 'written', version: 2, changedSince: true });
        const repeatSaveJson = await t.saveJson(id, { state: { n: 3 } }, { operationId: 'k-save-json' });
        expect({ workflow: repeatSaveJson.workflow, state: JSON.parse(repeatSaveJson.stateJson) as unknown }).toEqual({ workflow: savedJson.workflow, state: { n: 3 } });
        expect(replayOf(repeatSaveJson)).toEqual({ outcome: 'written', version: 3, changedSince: true });
        const repeatUpdate = await t.update(id, { status: 'u', state: { u: 1 } }, { operationId: 'k-update' });
        expect(repeatUpdate).toEqual(updated);
        expect(replayOf(repeatUpdate)).toEqual({ outcome: 'written', version: 4, changedSince: true });
        let called = 0;
        const repeatMutate = await t.mutate(id, (w) => {
          called += 1;
          return { state: w.state };
        }, { operationId: 'k-mutate' });
        expect(called).toBe(0);
        expect(repeatMutate).toEqual(mutated);
        expect(replayOf(repeatMutate)).toEqual({ outcome: 'written', version: 5, changedSince: true });
        // The touch left version 6 with a new expiry: that is the record the history kept for version 6.
        const repeatTouch = await t.touch(id, { ttlSeconds: 700, operationId: 'k-touch' });
        expect(repeatTouch).toEqual(touched);
        expect(replayOf(repeatTouch)).toEqual({ outcome: 'touched', version: 6, changedSince: true });
        // Nothing was written by the replays.
        expect(await t.get(id)).toEqual(later);
        expect((await t.history(id))?.currentVersion).toBe(7);

        // A repeat of the latest write answers with the current workflow, unchanged.
        const latest = await t.update(id, { status: 'last' }, { operationId: 'k-latest' });
        const repeatLatest = await t.update(id, { status: 'last' }, { operationId: 'k-latest' });
        expect(repeatLatest).toEqual(latest);
        expect(replayOf(repeatLatest)).toEqual({ outcome: 'written', version: 8, changedSince: false });
      });

      it('answers with the current workflow once the history no longer holds that version (bound 1, and 0)', async () => {
        for (const keep of [1, 0]) {
          const t = await keeping(keep);
          const id = uniq(`replay${keep}`);
          await t.create({ id, type: 'hr', state: { n: 1 } });
          const saved = await t.save(id, { state: { n: 2 } }, { operationId: 'k-save' });
          const third = await t.save(id, { state: { n: 3 } });
          const again = await t.save(id, { state: { n: 2 } }, { operationId: 'k-save' });
          expect({ keep, again }).toEqual({ keep, again: keep === 1 ? saved : third });
          expect(replayOf(again)).toEqual({ outcome: 'written', version: 2, changedSince: true });
          const fourth = await t.save(id, { state: { n: 4 } });
          const late = await t.save(id, { state: { n: 2 } }, { operationId: 'k-save' });
          expect({ keep, late }).toEqual({ keep, late: fourth });
          expect(replayOf(late)).toEqual({ outcome: 'written', version: 2, changedSince: true });
        }
      });

      it('never answers with a version of another life of the id', async () => {
        const t = await keeping(undefined);
        const id = uniq('lives');
        const first = await t.create({ id, type: 'hl', state: { life: 1 } }, { operationId: 'k-first' });
        await t.delete(id);
        await sleep(5);
        const second = await t.create({ id, type: 'hl', state: { life: 2 } });
        expect(second.createdAt).not.toBe(first.createdAt);
        const secondSaved = await t.save(id, { state: { life: 2, n: 2 } });
        // The history holds version 1 of the second life: not what the keyed create produced.
        expect(await t.getVersion(id, 1)).toEqual(second);
        const repeat = await t.create({ id, type: 'hl', state: { life: 1 } }, { operationId: 'k-first' });
        expect(repeat).toEqual(secondSaved);
        expect(replayOf(repeat)).toEqual({ outcome: 'created', version: 1, changedSince: true });

        // A delete's replay answers with what it deleted; a replay of a write whose workflow is gone is NotFound.
        const saved = await t.save(id, { state: { n: 3 } }, { operationId: 'k-save' });
        const deleted = await t.delete(id, { operationId: 'k-delete' });
        expect(deleted).toEqual({ id, version: saved.version });
        expect(await t.delete(id, { operationId: 'k-delete' })).toEqual({ id, version: saved.version });
        await rejectsWith(t.save(id, { state: { n: 3 } }, { operationId: 'k-save' }), NotFoundError);
      });
    });
  });
}
