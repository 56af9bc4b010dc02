/**
 * `touch(id, { expectedVersion })` and `releaseLease(id, token, { expectedVersion })` as every backend must show
 * them: a stale version refuses with VersionConflictError (currentVersion), writes nothing and records no event; the
 * order of checks is the writes' (replay, existence, lease, version) for touch, and existence, token, version for a
 * release. Run against memory, then Redis (expected-version.contract.spec.ts); public API plus the lease harness.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  IdempotencyKeyReusedError,
  InvalidInputError,
  LeaseHeldError,
  LeaseLostError,
  NotFoundError,
  VersionConflictError,
  replayOf,
  type WorkflowStore,
} from '#workflow-store';
import { rejectsWith, sleep, uniq, type FeedStore } from './feed-support.js';
import type { LeaseHarness } from './lease-harness.js';
import { created, delivered, pastExpiry, Scopes, stored } from './scoped-feed.js';

const LONG_MS = 60_000;
const SHORT_MS = 150;

function expectConflict(error: VersionConflictError, id: string, expectedVersion: number, currentVersion: number): void {
  expect({ code: error.code, id: error.id, expectedVersion: error.expectedVersion, currentVersion: error.currentVersion }).toEqual({
    code: 'version-conflict',
    id,
    expectedVersion,
    currentVersion,
  });
}

async function stalledIds(t: WorkflowStore): Promise<string[]> {
  return (await t.list({ stalled: true })).items.map((w) => w.id).sort();
}

export function describeExpectedVersionContract(harness: LeaseHarness): void {
  describe(`expected version on touch and releaseLease: ${harness.name}`, () => {
    let store: FeedStore;
    const scopes = new Scopes();

    beforeAll(async () => {
      store = await harness.makeStore();
    });
    afterAll(async () => {
      await scopes.closeAll();
      await store?.close();
    });

    describe('touch', () => {
      it('applies at the expected version (which it keeps); a stale one is VersionConflictError: nothing written, no event', async () => {
        const scope = await scopes.open(store, 'tv');
        const { t } = scope;
        const wf = await created(t, 'wf', 100);
        await t.save(wf.id, { state: { n: 1 }, ttlSeconds: 100 }); // v2, and a kept version a change would show
        const before = await stored(t, wf.id);
        for (const stale of [1, 3, 99]) {
          expectConflict(await rejectsWith(t.touch(wf.id, { expectedVersion: stale, ttlSeconds: 500 }), VersionConflictError, `v${stale}`), wf.id, stale, 2);
        }
        await sleep(5);
        expect(await stored(t, wf.id)).toEqual(before);
        const touched = await t.touch(wf.id, { expectedVersion: 2, ttlSeconds: 500 });
        expect(touched).toMatchObject({ id: wf.id, version: 2, ttlSeconds: 500, state: { n: 1 } });
        expect(replayOf(touched)).toBeUndefined();
        // A touch does not move the version: the same expected version applies again.
        expect((await t.touch(wf.id, { expectedVersion: 2 })).version).toBe(2);
        expect(await delivered(scope, wf.id)).toEqual([['created v1', 'updated v2', 'touched v2', 'touched v2']]);
      });

      it('NotFoundError (not a conflict) for an absent, deleted or expired workflow', async () => {
        const { t } = await scopes.open(store, 'tn');
        await rejectsWith(t.touch(uniq('absent'), { expectedVersion: 1 }), NotFoundError, 'absent');
        const deleted = await created(t);
        await t.delete(deleted.id);
        await rejectsWith(t.touch(deleted.id, { expectedVersion: 1 }), NotFoundError, 'deleted');
        const expiring = await created(t, 'expiring', 1);
        await sleep(Date.parse(expiring.expiresAt) + 50 - Date.now());
        await rejectsWith(t.touch(expiring.id, { expectedVersion: 1 }), NotFoundError, 'expired');
      });

      it('the lease is checked before the version (as every write does); with the live token the version still applies', async () => {
        const scope = await scopes.open(store, 'tl');
        const { t } = scope;
        const wf = await created(t);
        const lease = await t.acquireLease(wf.id, { owner: 'holder', ttlMs: LONG_MS });
        const before = await stored(t, wf.id);
        await rejectsWith(t.touch(wf.id, { expectedVersion: 7 }), LeaseHeldError, 'no token, stale');
        await rejectsWith(t.touch(wf.id, { expectedVersion: 7, leaseToken: lease.token + 1 }), LeaseLostError, 'wrong token, stale');
        expectConflict(await rejectsWith(t.touch(wf.id, { expectedVersion: 7, leaseToken: lease.token }), VersionConflictError), wf.id, 7, 1);
        expect(await stored(t, wf.id)).toEqual(before);
        expect((await t.touch(wf.id, { expectedVersion: 1, leaseToken: lease.token })).version).toBe(1);
        expect(await delivered(scope, wf.id)).toEqual([['created v1', `lease-acquired v1 ${lease.token} holder`, 'touched v1']]);
      });

      it('a refused touch leaves a stall alone; an applied one ends it', async () => {
        const { t } = await scopes.open(store, 'ts');
        const wf = await created(t);
        const lease = await t.acquireLease(wf.id, { owner: 'crashed', ttlMs: SHORT_MS });
        await pastExpiry(lease);
        await harness.sweepLeases(t);
        expect(await stalledIds(t)).toEqual([wf.id]);
        await rejectsWith(t.touch(wf.id, { expectedVersion: 2 }), VersionConflictError);
        expect(await stalledIds(t)).toEqual([wf.id]);
        expect((await t.getLease(wf.id))?.state).toBe('expired');
        await t.touch(wf.id, { expectedVersion: 1 });
        expect(await stalledIds(t)).toEqual([]);
        expect((await t.getLease(wf.id))?.state).toBe('cleared');
      });

      it('idempotency: the expected version is part of the request; a replay comes before the version check; a refusal spends no key', async () => {
        const scope = await scopes.open(store, 'tk');
        const { t } = scope;
        const wf = await created(t);
        const first = await t.touch(wf.id, { expectedVersion: 1, operationId: 'k1' });
        const updated = await t.update(wf.id, { state: { n: 1 } });
        // The same request again: answered as the first (replayed), though the version has moved on.
        const repeat = await t.touch(wf.id, { expectedVersion: 1, operationId: 'k1' });
        expect(replayOf(repeat)).toEqual({ outcome: 'touched', version: 1, changedSince: true });
        expect(repeat.version).toBe(first.version);
        // The same key with another expected version, or none, is another request.
        await rejectsWith(t.touch(wf.id, { expectedVersion: 2, operationId: 'k1' }), IdempotencyKeyReusedError, 'other version');
        await rejectsWith(t.touch(wf.id, { operationId: 'k1' }), IdempotencyKeyReusedError, 'no version');
        const plain = await t.touch(wf.id, { operationId: 'k2' });
        await rejectsWith(t.touch(wf.id, { expectedVersion: 2, operationId: 'k2' }), IdempotencyKeyReusedError, 'unconditional key, now conditional');
        expect(replayOf(await t.touch(wf.id, { operationId: 'k2' }))?.version).toBe(plain.version);
        // Refused by the version: the key is not remembered, and applies with the right version.
        await rejectsWith(t.touch(wf.id, { expectedVersion: 1, operationId: 'k3' }), VersionConflictError, 'stale, keyed');
        const applied = await t.touch(wf.id, { expectedVersion: 2, operationId: 'k3' });
        expect(replayOf(applied)).toBeUndefined();
        expect(await delivered(scope, wf.id)).toEqual([[`created v1`, 'touched v1', `updated v${updated.version}`, 'touched v2', 'touched v2']]);
      });

      it('InvalidInputError for an expectedVersion that is not a version; nothing written', async () => {
        const { t } = await scopes.open(store, 'ti');
        const wf = await created(t);
        for (const expectedVersion of [0, -1, 1.5, '1', null, Number.NaN]) {
          await rejectsWith(t.touch(wf.id, { expectedVersion } as never), InvalidInputError, `expectedVersion ${String(expectedVersion)}`);
        }
        expect(await t.get(wf.id)).toEqual(wf);
      });
    });

    describe('releaseLease', () => {
      it('releases at the expected version; a stale one is VersionConflictError: the lease still holds, no event', async () => {
        const scope = await scopes.open(store, 'rv');
        const { t } = scope;
        const wf = await created(t);
        const lease = await t.acquireLease(wf.id, { owner: 'holder', ttlMs: LONG_MS });
        await t.update(wf.id, { status: 'working' }, { leaseToken: lease.token }); // v2
        for (const stale of [1, 3]) {
          expectConflict(await rejectsWith(t.releaseLease(wf.id, lease.token, { expectedVersion: stale }), VersionConflictError, `v${stale}`), wf.id, stale, 2);
        }
        await rejectsWith(t.touch(wf.id), LeaseHeldError, 'still held');
        expect(await t.getLease(wf.id)).toEqual({ ...lease, state: 'held' });
        await t.releaseLease(wf.id, lease.token, { expectedVersion: 2 });
        expect((await t.getLease(wf.id))?.state).toBe('released');
        expect(await delivered(scope, wf.id)).toEqual([
          ['created v1', `lease-acquired v1 ${lease.token} holder`, 'updated v2', `lease-released v2 ${lease.token} holder`],
        ]);
      });

      it('existence first, then the token, then the version', async () => {
        const scope = await scopes.open(store, 'ro');
        const { t } = scope;
        await rejectsWith(t.releaseLease(uniq('absent'), 5, { expectedVersion: 1 }), NotFoundError, 'absent');
        const wf = await created(t);
        await rejectsWith(t.releaseLease(wf.id, 5, { expectedVersion: 9 }), LeaseLostError, 'no lease, stale');
        const old = await t.acquireLease(wf.id, { owner: 'old', ttlMs: LONG_MS });
        await t.releaseLease(wf.id, old.token, { expectedVersion: 1 });
        const lease = await t.acquireLease(wf.id, { owner: 'new', ttlMs: LONG_MS });
        await rejectsWith(t.releaseLease(wf.id, old.token, { expectedVersion: 9 }), LeaseLostError, 'released token, stale');
        await rejectsWith(t.releaseLease(wf.id, old.token, { expectedVersion: 1 }), LeaseLostError, 'released token, right version');
        await rejectsWith(t.releaseLease(wf.id, lease.token, { expectedVersion: 9 }), VersionConflictError, 'live token, stale');
        expect(await t.getLease(wf.id)).toEqual({ ...lease, state: 'held' });
        expect(await delivered(scope, wf.id)).toEqual([
          ['created v1', `lease-acquired v1 ${old.token} old`, `lease-released v1 ${old.token} old`, `lease-acquired v1 ${lease.token} new`],
        ]);
      });

      it('a stalled workflow stays stalled after a stale release, and recovers with the right version', async () => {
        const scope = await scopes.open(store, 'rs');
        const { t } = scope;
        const wf = await created(t);
        const lease = await t.acquireLease(wf.id, { owner: 'crashed', ttlMs: SHORT_MS });
        await pastExpiry(lease);
        await harness.sweepLeases(t);
        expect(await stalledIds(t)).toEqual([wf.id]);
        await rejectsWith(t.releaseLease(wf.id, lease.token, { expectedVersion: 2 }), VersionConflictError);
        expect(await stalledIds(t)).toEqual([wf.id]);
        await t.releaseLease(wf.id, lease.token, { expectedVersion: 1 });
        expect(await stalledIds(t)).toEqual([]);
        expect(await delivered(scope, wf.id)).toEqual([
          ['created v1', `lease-acquired v1 ${lease.token} crashed`, `lease-expired v1 ${lease.token} crashed`, `lease-released v1 ${lease.token} crashed`],
        ]);
      });

      it('InvalidInputError for malformed options; nothing released', async () => {
        const { t } = await scopes.open(store, 'ri');
        const wf = await created(t);
        const lease = await t.acquireLease(wf.id, { owner: 'o', ttlMs: LONG_MS });
        for (const options of [{ expectedVersion: 0 }, { expectedVersion: 2.5 }, { expectedVersion: '1' }, { version: 1 }, null]) {
          await rejectsWith(t.releaseLease(wf.id, lease.token, options as never), InvalidInputError, JSON.stringify(options));
        }
        expect((await t.getLease(wf.id))?.state).toBe('held');
        await t.releaseLease(wf.id, lease.token, {});
      });
    });
  });
}
