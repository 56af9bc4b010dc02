/**
 * `getLease(id)` as every backend must show it: the workflow's last lease as stored with its state (held, expired,
 * released, cleared) by the store's clock, `null` without a workflow or a lease in its life; a read that changes
 * nothing. Run against memory, then Redis (lease-view.contract.spec.ts); public API plus the lease harness.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InvalidInputError, type Lease, type LeaseView, type Workflow } from '#workflow-store';
import { rejectsWith, sleep, uniq, type FeedStore } from './feed-support.js';
import type { LeaseHarness } from './lease-harness.js';
import { created, delivered, pastExpiry, Scopes, stored } from './scoped-feed.js';

const LONG_MS = 60_000;
const SHORT_MS = 150;

function viewOf(lease: Lease, state: LeaseView['state']): LeaseView {
  return { id: lease.id, token: lease.token, owner: lease.owner, expiresAt: lease.expiresAt, state };
}

export function describeLeaseViewContract(harness: LeaseHarness): void {
  describe(`getLease: ${harness.name}`, () => {
    let store: FeedStore;
    const scopes = new Scopes();

    beforeAll(async () => {
      store = await harness.makeStore();
    });
    afterAll(async () => {
      await scopes.closeAll();
      await store?.close();
    });

    it('null for an absent workflow and for one never leased', async () => {
      const { t } = await scopes.open(store, 'gn');
      expect(await t.getLease(uniq('absent'))).toBeNull();
      const wf = await created(t);
      expect(await t.getLease(wf.id)).toBeNull();
    });

    it('held while live (renewals move expiresAt), then released; a new acquisition is held with its own token', async () => {
      const { t } = await scopes.open(store, 'gh');
      const wf = await created(t);
      const lease = await t.acquireLease(wf.id, { owner: 'worker-1@host:42', ttlMs: LONG_MS });
      expect(await t.getLease(wf.id)).toEqual(viewOf(lease, 'held'));
      const renewed = await t.renewLease(wf.id, lease.token, LONG_MS * 2);
      expect(await t.getLease(wf.id)).toEqual(viewOf(renewed, 'held'));
      await t.releaseLease(wf.id, lease.token);
      expect(await t.getLease(wf.id)).toEqual(viewOf(renewed, 'released'));
      const next = await t.acquireLease(wf.id, { owner: 'worker-2', ttlMs: LONG_MS });
      expect(await t.getLease(wf.id)).toEqual(viewOf(next, 'held'));
    });

    it('expired past its expiry, before and after the sweep (stalled); cleared once a write went ahead without it', async () => {
      const { t } = await scopes.open(store, 'ge');
      const unswept = await created(t, 'unswept');
      const swept = await created(t, 'swept');
      const lu = await t.acquireLease(unswept.id, { owner: 'u', ttlMs: SHORT_MS });
      const ls = await t.acquireLease(swept.id, { owner: 's', ttlMs: SHORT_MS });
      await pastExpiry(lu);
      await pastExpiry(ls);
      expect(await t.getLease(unswept.id)).toEqual(viewOf(lu, 'expired'));
      await harness.sweepLeases(t);
      expect(await t.getLease(swept.id)).toEqual(viewOf(ls, 'expired'));
      expect((await t.list({ stalled: true })).items.map((w) => w.id).sort()).toEqual([unswept.id, swept.id].sort());
      await t.touch(unswept.id);
      await t.update(swept.id, { status: 'recovered' });
      expect(await t.getLease(unswept.id)).toEqual(viewOf(lu, 'cleared'));
      expect(await t.getLease(swept.id)).toEqual(viewOf(ls, 'cleared'));
    });

    it('an expired lease released by its holder is released (before or after the sweep); one taken over shows the new lease', async () => {
      const { t } = await scopes.open(store, 'gr');
      const a = await created(t, 'a');
      const b = await created(t, 'b');
      const la = await t.acquireLease(a.id, { owner: 'a', ttlMs: SHORT_MS });
      const lb = await t.acquireLease(b.id, { owner: 'b', ttlMs: SHORT_MS });
      await pastExpiry(lb);
      await t.releaseLease(a.id, la.token);
      await harness.sweepLeases(t);
      await t.releaseLease(b.id, lb.token);
      expect([await t.getLease(a.id), await t.getLease(b.id)]).toEqual([viewOf(la, 'released'), viewOf(lb, 'released')]);
      const lc = await t.acquireLease(a.id, { owner: 'c', ttlMs: SHORT_MS });
      await pastExpiry(lc);
      const ld = await t.acquireLease(a.id, { owner: 'd', ttlMs: LONG_MS });
      expect(await t.getLease(a.id)).toEqual(viewOf(ld, 'held'));
    });

    it('null once the workflow is deleted, expired, or restored over; a re-created id has no lease', async () => {
      const { t } = await scopes.open(store, 'gd');
      const deleted = await created(t, 'deleted');
      const expiring = await created(t, 'expiring', 1);
      const restored = await created(t, 'restored');
      for (const wf of [deleted, expiring, restored]) await t.acquireLease(wf.id, { owner: 'o', ttlMs: LONG_MS });
      const token = (await t.getLease(deleted.id))?.token as number;
      await t.delete(deleted.id, { leaseToken: token });
      expect(await t.getLease(deleted.id)).toBeNull();
      await t.create({ id: deleted.id, type: 'cv', state: {} });
      expect(await t.getLease(deleted.id)).toBeNull();
      const current = (await t.get(restored.id)) as Workflow;
      expect(await t.restore({ ...current, version: 5 })).toBe('written');
      expect(await t.getLease(restored.id)).toBeNull();
      await sleep(Date.parse(expiring.expiresAt) + 50 - Date.now());
      // Gone for every method, whether the store has observed the expiry or not.
      expect(await t.getLease(expiring.id)).toBeNull();
      await harness.observeExpiries(t, [expiring.id]);
      expect(await t.getLease(expiring.id)).toBeNull();
    });

    it('is a read: no event, no change to the workflow or its stall', async () => {
      const scope = await scopes.open(store, 'gw');
      const { t } = scope;
      const wf = await created(t);
      const lease = await t.acquireLease(wf.id, { owner: 'crashed', ttlMs: SHORT_MS });
      await pastExpiry(lease);
      await harness.sweepLeases(t);
      const before = await stored(t, wf.id);
      for (let i = 0; i < 3; i++) expect(await t.getLease(wf.id)).toEqual(viewOf(lease, 'expired'));
      expect(await stored(t, wf.id)).toEqual(before);
      expect((await t.list({ stalled: true })).items.map((w) => w.id)).toEqual([wf.id]);
      expect(await delivered(scope, wf.id)).toEqual([['created v1', `lease-acquired v1 ${lease.token} crashed`, `lease-expired v1 ${lease.token} crashed`]]);
    });

    it("is tenant-scoped: another tenant's lease on the same id is not this workflow's", async () => {
      const { t: a } = await scopes.open(store, 'ga');
      const { t: b } = await scopes.open(store, 'gb');
      const id = uniq('shared');
      await a.create({ id, type: 'cv', state: {} });
      await b.create({ id, type: 'cv', state: {} });
      const lease = await a.acquireLease(id, { owner: 'in-a', ttlMs: LONG_MS });
      expect(await a.getLease(id)).toEqual(viewOf(lease, 'held'));
      expect(await b.getLease(id)).toBeNull();
      expect(await store.getLease(id)).toBeNull();
    });

    it('InvalidInputError for a malformed id', async () => {
      for (const id of ['', '.dot', 'has space', 'a'.repeat(65), 42, null]) {
        await rejectsWith(store.getLease(id as never), InvalidInputError, JSON.stringify(id));
      }
    });
  });
}
