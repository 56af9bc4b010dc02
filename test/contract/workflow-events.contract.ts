/**
 * `events(id, { limit })` as every backend must show it: the events of one workflow id the change feed still holds,
 * newest first, exactly the ones a watch delivered for that id (same eventIds, fields and lease details), at most
 * `limit`; across the id's lives; tenant-scoped; EventsDisabledError with the feed off. Run against memory, then
 * Redis (workflow-events.contract.spec.ts); public API plus the lease harness.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventsDisabledError, InvalidInputError, type WorkflowEvent } from '#workflow-store';
import { compareEventIds, freshTenant, rejectsWith, uniq, type FeedStore } from './feed-support.js';
import type { LeaseHarness } from './lease-harness.js';
import { created, delivered, Scopes, type Scope } from './scoped-feed.js';

/** What the watch delivered for `id`, newest first: what `events(id)` must answer while nothing is trimmed. */
async function watched(scope: Scope, id: string): Promise<WorkflowEvent[]> {
  await delivered(scope, id);
  return scope.feed.events.filter((e) => e.id === id).reverse();
}

export function describeWorkflowEventsContract(harness: LeaseHarness): void {
  describe(`events of one workflow: ${harness.name}`, () => {
    let store: FeedStore;
    const extra: FeedStore[] = [];
    const scopes = new Scopes();

    beforeAll(async () => {
      // One shard on Redis: every workflow's events share one stream, so a workflow's older events sit pages back.
      store = await harness.makeStore({ REDIS_SHARDS: '1' });
    });
    afterAll(async () => {
      await scopes.closeAll();
      for (const s of extra.splice(0)) await s.close();
      await store?.close();
    });

    it("answers that id's events newest first, exactly as the watch delivered them (lease events with token and owner)", async () => {
      const scope = await scopes.open(store, 'ew');
      const { t } = scope;
      const wf = await created(t);
      const other = await created(t, 'other');
      const lease = await t.acquireLease(wf.id, { owner: 'worker-1', ttlMs: 60_000 });
      await t.update(wf.id, { status: 'working' }, { leaseToken: lease.token });
      await t.touch(other.id);
      await t.touch(wf.id, { leaseToken: lease.token, ttlSeconds: 500 });
      await t.releaseLease(wf.id, lease.token);
      await t.delete(other.id);
      const expected = await watched(scope, wf.id);
      expect(expected.map((e) => e.op)).toEqual(['lease-released', 'touched', 'updated', 'lease-acquired', 'created']);
      expect(await t.events(wf.id)).toEqual(expected);
      expect((await t.events(wf.id))[0]).toMatchObject({ id: wf.id, op: 'lease-released', version: 2, status: 'working', lease: { token: lease.token, owner: 'worker-1' } });
      expect(await t.events(other.id)).toEqual(await watched(scope, other.id));
    });

    it('at most limit (default 100), the newest; limit 1 is the last event', async () => {
      const scope = await scopes.open(store, 'el');
      const { t } = scope;
      const wf = await created(t);
      for (let i = 0; i < 120; i++) await t.touch(wf.id);
      const all = await watched(scope, wf.id);
      expect(all).toHaveLength(121);
      expect(await t.events(wf.id)).toEqual(all.slice(0, 100));
      expect(await t.events(wf.id, {})).toEqual(all.slice(0, 100));
      expect(await t.events(wf.id, { limit: 1 })).toEqual(all.slice(0, 1));
      expect(await t.events(wf.id, { limit: 1000 })).toEqual(all);
    });

    it("finds a workflow's events behind many pages of other workflows' events in the same shard stream", async () => {
      const scope = await scopes.open(store, 'ep');
      const { t } = scope;
      const wf = await created(t, 'old');
      const busy = await Promise.all([created(t, 'busy'), created(t, 'busy'), created(t, 'busy')]);
      for (let round = 0; round < 400; round++) await Promise.all(busy.map((b) => t.touch(b.id)));
      await t.touch(wf.id);
      for (let round = 0; round < 200; round++) await Promise.all(busy.map((b) => t.touch(b.id)));
      const expected = await watched(scope, wf.id);
      expect(expected.map((e) => e.op)).toEqual(['touched', 'created']);
      expect(await t.events(wf.id)).toEqual(expected);
      expect(await t.events(wf.id, { limit: 1 })).toEqual(expected.slice(0, 1));
      expect(await t.events(uniq('never-written'))).toEqual([]);
    });

    it("spans the id's lives: a deleted workflow's events stay, a re-created one's follow them", async () => {
      const scope = await scopes.open(store, 'ed');
      const { t } = scope;
      const wf = await created(t);
      await t.save(wf.id, { state: { n: 1 } });
      await t.delete(wf.id);
      expect((await t.events(wf.id)).map((e) => `${e.op} v${e.version}`)).toEqual(['deleted v2', 'updated v2', 'created v1']);
      await t.create({ id: wf.id, type: 'again', state: {} });
      const expected = await watched(scope, wf.id);
      expect(await t.events(wf.id)).toEqual(expected);
      expect(expected.map((e) => `${e.op} v${e.version} ${e.type}`)).toEqual(['created v1 again', 'deleted v2 cv', 'updated v2 cv', 'created v1 cv']);
    });

    it("is tenant-scoped: the same id in another tenant has its own events; a read records nothing", async () => {
      const a = await scopes.open(store, 'ea');
      const b = await scopes.open(store, 'eb');
      const id = uniq('shared');
      await a.t.create({ id, type: 'in-a', state: {} });
      await b.t.create({ id, type: 'in-b', state: {} });
      await b.t.touch(id);
      expect((await a.t.events(id)).map((e) => `${e.op} ${e.type} ${e.tenant}`)).toEqual([`created in-a ${a.tenant}`]);
      expect((await b.t.events(id)).map((e) => `${e.op} ${e.type} ${e.tenant}`)).toEqual([`touched in-b ${b.tenant}`, `created in-b ${b.tenant}`]);
      expect(await store.events(id)).toEqual([]);
      for (let i = 0; i < 3; i++) await a.t.events(id);
      expect(await delivered(a, id)).toEqual([['created v1']]);
    });

    it('holds what the feed holds: past EVENTS_MAX_PER_SHARD the oldest are gone, and what is left is the newest', async () => {
      const capped = await harness.makeStore({ EVENTS_MAX_PER_SHARD: '100', REDIS_SHARDS: '1' });
      extra.push(capped);
      // No watch here: a reader that fell behind the trim would see a reset, not the events this checks.
      const t = capped.forTenant(freshTenant('ec'));
      const wf = await created(t);
      for (let i = 0; i < 298; i++) await t.touch(wf.id);
      await t.update(wf.id, { status: 'last' });
      const held = await t.events(wf.id, { limit: 1000 });
      // Memory keeps exactly the cap; a Redis stream is trimmed approximately (whole nodes of entries), never below it.
      if (harness.name === 'memory') expect(held).toHaveLength(100);
      expect(held.length).toBeGreaterThanOrEqual(100);
      expect(held.length).toBeLessThan(300);
      // The newest ones, newest first, with no gap: the update, then touches; the create (the oldest) is gone.
      expect(held.map((e) => e.op)).toEqual(['updated', ...Array.from({ length: held.length - 1 }, () => 'touched')]);
      const ids = held.map((e) => e.eventId);
      expect([...ids].sort((x, y) => -compareEventIds(x, y))).toEqual(ids);
      expect(new Set(ids).size).toBe(ids.length);
      expect(await t.events(wf.id, { limit: 10 })).toEqual(held.slice(0, 10));
    });

    it('EventsDisabledError when the feed is off (EVENTS_RETENTION_SECONDS=0)', async () => {
      const off = await harness.makeStore({ EVENTS_RETENTION_SECONDS: '0' });
      extra.push(off);
      const wf = await created(off);
      await rejectsWith(off.events(wf.id), EventsDisabledError);
      await rejectsWith(off.forTenant('someone').events(wf.id, { limit: 5 }), EventsDisabledError, 'a tenant view');
    });

    it('InvalidInputError for a malformed id or limit', async () => {
      const wf = await created(store);
      for (const id of ['', '.dot', 'a b', 'x'.repeat(65), 7]) await rejectsWith(store.events(id as never), InvalidInputError, JSON.stringify(id));
      for (const options of [{ limit: 0 }, { limit: 1001 }, { limit: 2.5 }, { limit: '10' }, { limit: -1 }, { after: 'x' }, null]) {
        await rejectsWith(store.events(wf.id, options as never), InvalidInputError, JSON.stringify(options));
      }
    });
  });
}
