/**
 * The change feed (`watch`) as every backend must show it, one suite run against each backend (memory first, then
 * Redis over a real redis-server). Public API only, plus the harness (feed-support.ts) for what the API does not
 * offer: observing expiries, and on Redis a second store instance on the same data.
 *
 * Every test works in a tenant of its own (`forTenant`), so no test sees another's events. Writes are compared with
 * events by a "sentinel": a last write whose event, once seen, proves that every earlier write's event (or its
 * absence) has been delivered, because one watch delivers in feed order.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DEFAULT_TENANT,
  EventsDisabledError,
  IdempotencyKeyReusedError,
  InvalidInputError,
  AlreadyExistsError,
  NotFoundError,
  StoreUnavailableError,
  VersionConflictError,
  replayOf,
  type WatchFilter,
  type WatchMessage,
  type Workflow,
  type WorkflowEvent,
  type WorkflowStore,
} from '#workflow-store';
import {
  Collector,
  brief,
  compareEventIds,
  expectFeedOrder,
  freshTenant,
  matchesFilter,
  messageText,
  positionOf,
  rejectsWith,
  sleep,
  uniq,
  type FeedHarness,
  type FeedStore,
} from './feed-support.js';

const EVENT_ID = /^\d+-\d+-\d+$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Clock slack between this process and the backend (same machine) plus scheduling on a loaded box. */
const CLOCK_SLACK_MS = 1000;
/** A watch's buffer (WATCH_QUEUE_LIMIT in the core): a consumer this far behind gets a reset. */
const WATCH_BUFFER = 10_000;

/** A complete record for `restore`, expiring `ttlSeconds` from now. */
function record(id: string, version: number, type: string, status: string, state: Record<string, number | string>, ttlSeconds = 600): Workflow {
  const now = Date.now();
  return {
    id,
    type,
    status,
    state,
    version,
    createdAt: new Date(now - 60_000).toISOString(),
    updatedAt: new Date(now - 1_000 * (10 - Math.min(version, 9))).toISOString(),
    expiresAt: new Date(now + ttlSeconds * 1000).toISOString(),
    ttlSeconds,
  };
}

/** A point in the feed at this moment (no event of a write that starts later can be at or before it). */
async function pointNow(): Promise<string> {
  await sleep(3);
  const point = `${Date.now()}-0-0`;
  await sleep(3);
  return point;
}

export function describeFeedContract(name: string, harness: FeedHarness): void {
  describe(`change feed contract: ${name}`, () => {
    let store: FeedStore;
    const extraStores: FeedStore[] = [];

    async function storeWith(env: Record<string, string>): Promise<FeedStore> {
      const extra = await harness.makeStore(env);
      extraStores.push(extra);
      return extra;
    }

    beforeAll(async () => {
      store = await harness.makeStore();
    });

    afterAll(async () => {
      for (const extra of extraStores.splice(0)) await extra.close();
      await store?.close();
    });

    function tenantOf(of: WorkflowStore = store): { name: string; t: WorkflowStore } {
      const tenant = freshTenant();
      return { name: tenant, t: of.forTenant(tenant) };
    }

    /**
     * Writes a workflow nobody else writes and waits until `collector` has its event: everything before it is in.
     * Across workflows (shards) the feed orders by the millisecond first, then by each shard stream's own sequence,
     * so a sentinel written in the same millisecond as an earlier write could come before it: it waits for the clock.
     */
    async function sentinel(t: WorkflowStore, ...collectors: Collector[]): Promise<string> {
      await sleep(3);
      const id = uniq('sentinel');
      await t.create({ id, type: 'sentinel', status: 'end', state: {} });
      for (const collector of collectors) await collector.untilEventOf(id);
      return id;
    }

    /** The events of `collector` up to (without) the sentinel's, which must be the last one. */
    function before(collector: Collector, sentinelId: string): WorkflowEvent[] {
      const events = collector.events;
      const last = events.at(-1);
      if (last?.id !== sentinelId) throw new Error(`${collector.label}: expected the sentinel ${sentinelId} last, got ${collector.describe()}`);
      return events.slice(0, -1);
    }

    /**
     * A mixed workload on `ids` (concurrent batches on distinct ids, touches, a delete and re-create, a restore);
     * returns what each successful write must have recorded, per id in write order.
     */
    async function workload(t: WorkflowStore, ids: readonly string[]): Promise<Map<string, string[]>> {
      const expected = new Map<string, string[]>(ids.map((id) => [id, []]));
      const add = (id: string, op: string, wf: { version: number; type: string; status: string }): void => {
        const list = expected.get(id) ?? [];
        list.push(`${op} ${id} v${wf.version} ${wf.type}/${wf.status}`);
        expected.set(id, list);
      };
      const created = await Promise.all(ids.map((id, i) => t.create({ id, type: i % 2 ? 'ta' : 'tb', status: 's1', state: { i } })));
      created.forEach((wf) => add(wf.id, 'created', wf));
      for (let round = 0; round < 4; round++) {
        const written = await Promise.all(
          ids.map((id, i) => ((i + round) % 3 === 0 ? t.update(id, { status: `s${round}`, state: { round } }) : t.save(id, { state: { round, i } }))),
        );
        written.forEach((wf) => add(wf.id, 'updated', wf));
        const touched = await t.touch(ids[round % ids.length] as string);
        add(touched.id, 'touched', touched);
      }
      const first = ids[0] as string;
      const current = await t.get(first);
      if (!current) throw new Error(`${first} vanished`);
      const gone = await t.delete(first);
      add(first, 'deleted', { version: gone.version, type: current.type, status: current.status });
      const again = await t.create({ id: first, type: 'tc', state: { again: true } });
      add(first, 'created', again);
      const restoredId = uniq('restored');
      expect(await t.restore(record(restoredId, 4, 'tr', 'sr', { r: 1 }))).toBe('written');
      expected.set(restoredId, [`restored ${restoredId} v4 tr/sr`]);
      return expected;
    }

    function byId(events: readonly WorkflowEvent[]): Map<string, string[]> {
      const map = new Map<string, string[]>();
      for (const event of events) map.set(event.id, [...(map.get(event.id) ?? []), brief(event)]);
      return map;
    }

    /** Compares two sequences of events by id and content, with a readable difference. */
    function expectSameEvents(what: string, actual: readonly WorkflowEvent[], expected: readonly WorkflowEvent[]): void {
      expect({ what, events: actual.map((e) => `${e.eventId} ${brief(e)}`) }).toEqual({ what, events: expected.map((e) => `${e.eventId} ${brief(e)}`) });
      expect(actual).toEqual(expected);
    }

    describe('one event per write', () => {
      it('records exactly one event for each write method, with its op, version, labels, time and tenant', async () => {
        const { name: tenant, t } = tenantOf();
        const all = await Collector.open(t);
        const a = uniq('a');
        const b = uniq('b');
        const c = uniq('c');
        const d = uniq('d');
        const expected: string[] = [];
        const windows: [number, number][] = [];
        async function step<T>(write: () => Promise<T>, event: (result: T) => string): Promise<T> {
          // Writes of different workflows in one millisecond may be ordered either way in the feed: keep them apart.
          await sleep(2);
          const start = Date.now();
          const result = await write();
          windows.push([start, Date.now()]);
          expected.push(event(result));
          return result;
        }
        await step(() => t.create({ id: a, type: 'ta', status: 's1', state: { n: 1 } }), (w) => `created ${a} v${w.version} ta/s1`);
        await step(() => t.save(a, { status: 's2', state: { n: 2 } }), (w) => `updated ${a} v${w.version} ta/s2`);
        await step(() => t.saveJson(a, { type: 'tb', state: { n: 3 } }), (w) => `updated ${a} v${w.workflow.version} tb/s2`);
        await step(() => t.update(a, { status: 's3', state: { x: 1 } }), (w) => `updated ${a} v${w.version} tb/s3`);
        await step(() => t.mutate(a, (w) => ({ type: 'tc', state: { ...w.state, m: 1 } })), (w) => `updated ${a} v${w.version} tc/s3`);
        await step(() => t.touch(a, { ttlSeconds: 500 }), (w) => `touched ${a} v${w.version} tc/s3`);
        const upserted = await step(() => t.save(b, { state: { upsert: true } }), (w) => `created ${b} v1 ${w.type}/${w.status}`);
        expect(upserted.version).toBe(1);
        await step(() => t.delete(a), (r) => `deleted ${a} v${r.version} tc/s3`);
        await step(() => t.restore(record(c, 7, 'tr', 'sr', { c: 7 })), () => `restored ${c} v7 tr/sr`);
        await step(
          () => t.restoreWithHistory({ workflow: record(d, 3, 'td', 'sd', { d: 3 }), history: [record(d, 1, 'td', 's0', { d: 1 }), record(d, 2, 'td', 's1', { d: 2 })] }),
          () => `restored ${d} v3 td/sd`,
        );
        await step(() => t.create({ id: a, type: 'ta', state: {} }), (w) => `created ${a} v1 ta/${w.status}`);
        await step(() => t.update(b, { status: 'moved' }), (w) => `updated ${b} v2 ${w.type}/moved`);
        const end = await sentinel(t, all);
        const events = before(all, end);
        expect(events.map(brief)).toEqual(expected);
        expectFeedOrder('the feed', events);
        events.forEach((event, i) => {
          expect(event.eventId).toMatch(EVENT_ID);
          expect(event.at).toMatch(ISO_UTC);
          expect(Date.parse(event.at)).toBe(positionOf(event.eventId).ms);
          const [start, stop] = windows[i] as [number, number];
          expect(Date.parse(event.at)).toBeGreaterThanOrEqual(start - CLOCK_SLACK_MS);
          expect(Date.parse(event.at)).toBeLessThanOrEqual(stop + CLOCK_SLACK_MS);
          expect(event.tenant).toBe(tenant);
          expect(Object.keys(event).sort()).toEqual(['at', 'eventId', 'id', 'op', 'status', 'tenant', 'type', 'version']);
        });
        await all.close();
      });

      it('records nothing for a write that is refused, fails or is answered as a replay', async () => {
        const { t } = tenantOf();
        const a = uniq('a');
        const b = uniq('b');
        const missing = uniq('missing');
        const created = await t.create({ id: a, type: 'ta', state: { n: 1 } }, { operationId: 'k-create' });
        const saved = await t.save(a, { state: { n: 2 } }, { operationId: 'k-save' });
        await t.update(a, { status: 'u' }, { operationId: 'k-update' });
        await t.touch(a, { operationId: 'k-touch' });
        await t.create({ id: b, type: 'tb', state: {} });
        await t.delete(b, { operationId: 'k-delete' });
        const restored = uniq('restored');
        await t.restore(record(restored, 5, 'tr', 'sr', {}));
        const all = await Collector.open(t);

        const refusals: [string, () => Promise<unknown>, new (...args: never[]) => Error][] = [
          ['create of a taken id', () => t.create({ id: a, type: 'ta', state: {} }), AlreadyExistsError],
          ['save with a stale expectedVersion', () => t.save(a, { state: {} }, { expectedVersion: 1 }), VersionConflictError],
          ['save with expectedVersion of a missing id', () => t.save(missing, { state: {} }, { expectedVersion: 1 }), NotFoundError],
          ['update of a missing id', () => t.update(missing, { status: 'x' }), NotFoundError],
          ['update with a stale expectedVersion', () => t.update(a, { status: 'x' }, { expectedVersion: 1 }), VersionConflictError],
          ['mutate of a missing id', () => t.mutate(missing, (w) => ({ state: w.state })), NotFoundError],
          ['delete of a missing id', () => t.delete(missing), NotFoundError],
          ['delete with a stale expectedVersion', () => t.delete(a, { expectedVersion: 1 }), VersionConflictError],
          ['touch of a missing id', () => t.touch(missing), NotFoundError],
          ['a key reused for another request', () => t.save(a, { state: { other: true } }, { operationId: 'k-save' }), IdempotencyKeyReusedError],
          ['an invalid write', () => t.save(a, { type: 'not a label!', state: {} }), InvalidInputError],
          ['a mutate whose function throws', () => t.mutate(a, () => { throw new Error('boom'); }), Error],
        ];
        for (const [what, call, type] of refusals) await rejectsWith(call(), type, what);
        const replays: [string, () => Promise<object>][] = [
          ['create replay', () => t.create({ id: a, type: 'ta', state: { n: 1 } }, { operationId: 'k-create' })],
          ['save replay', () => t.save(a, { state: { n: 2 } }, { operationId: 'k-save' })],
          ['saveJson replay', () => t.saveJson(a, { state: { n: 2 } }, { operationId: 'k-save' })],
          ['update replay', () => t.update(a, { status: 'u' }, { operationId: 'k-update' })],
          ['touch replay', () => t.touch(a, { operationId: 'k-touch' })],
          ['delete replay', () => t.delete(b, { operationId: 'k-delete' })],
        ];
        for (const [what, call] of replays) expect([what, replayOf(await call())?.changedSince]).toEqual([what, what === 'create replay' || what === 'save replay' || what === 'saveJson replay']);
        expect(await t.restore(record(restored, 5, 'tr', 'sr', {}))).toBe('skipped-same');
        expect(await t.restore(record(restored, 4, 'tr', 'sr', {}))).toBe('skipped-newer');
        expect(await t.restore({ ...record(uniq('expired'), 2, 'tr', 'sr', {}), expiresAt: new Date(Date.now() - 1000).toISOString() })).toBe('skipped-expired');
        expect(await t.restoreWithHistory({ workflow: record(restored, 5, 'tr', 'sr', {}), history: [record(restored, 4, 'tr', 'sr', {})] })).toBe('skipped-same');
        // Reads record nothing either.
        await t.get(a);
        await t.history(a);
        await t.list({});
        await t.count();

        const end = await sentinel(t, all);
        expect(before(all, end).map(brief)).toEqual([]);
        expect((await t.get(a))?.version).toBe(saved.version + 1);
        expect(created.version).toBe(1);
        await all.close();
      });
    });

    describe('expiry', () => {
      // Redis keeps a shard's index keys a tenth of the TTL (or two purge intervals, if longer) past the workflows
      // they list; these tests set a purge interval so that a late wake-up still observes the expiry.
      it('records one expired event (last version and labels) when the store observes the expiry, none for a deleted or touched workflow', async () => {
        // A purge interval (first sweep a minute away) keeps the index keys two intervals past the workflows, so a
        // loaded machine waking late from the sleep below still finds the expiry to record.
        const { t } = tenantOf(await storeWith({ REDIS_PURGE_INTERVAL_MS: '60000' }));
        const all = await Collector.open(t);
        const a = uniq('exp-a');
        const deleted = uniq('exp-deleted');
        const touched = uniq('exp-touched');
        await t.create({ id: deleted, type: 'ta', state: {}, ttlSeconds: 5 });
        await t.delete(deleted);
        await sleep(2);
        const kept = await t.create({ id: touched, type: 'ta', state: {}, ttlSeconds: 5 });
        await t.touch(touched, { ttlSeconds: 30 });
        await sleep(2);
        await t.create({ id: a, type: 'ta', status: 's1', state: {}, ttlSeconds: 5 });
        const last = await t.update(a, { type: 'tb', status: 's2' });
        await sleep(Date.parse(last.expiresAt) + 60 - Date.now());
        expect(Date.parse(kept.expiresAt)).toBeLessThan(Date.now());
        await harness.observeExpiries(t, [a, deleted, touched]);
        await all.untilEventOf(a, 'expired');
        // Observing again records nothing more.
        await harness.observeExpiries(t, [a, deleted, touched]);
        expect(await t.get(a)).toBeNull();
        const end = await sentinel(t, all);
        expect(before(all, end).map(brief)).toEqual([
          `created ${deleted} v1 ta/created`,
          `deleted ${deleted} v1 ta/created`,
          `created ${touched} v1 ta/created`,
          `touched ${touched} v1 ta/created`,
          `created ${a} v1 ta/s1`,
          `updated ${a} v2 tb/s2`,
          `expired ${a} v2 tb/s2`,
        ]);
        expect((await t.get(touched))?.version).toBe(1);
        await all.close();
      });

      it('records an expiry that the store observes late (longer after it than a tenth of the TTL), within two sweep intervals', async () => {
        // Index keys outlive their workflows by at least two REDIS_PURGE_INTERVAL_MS, so the sweep still finds them.
        const { t } = tenantOf(await storeWith({ REDIS_PURGE_INTERVAL_MS: '60000' }));
        const all = await Collector.open(t);
        const a = uniq('late-a');
        const created = await t.create({ id: a, type: 'ta', state: {}, ttlSeconds: 1 });
        await sleep(Date.parse(created.expiresAt) + 600 - Date.now());
        await harness.observeExpiries(t, [a]);
        const end = await sentinel(t, all);
        expect(before(all, end).map(brief)).toEqual([`created ${a} v1 ta/created`, `expired ${a} v1 ta/created`]);
        await all.close();
      });

      it('records the end of a life that expired unobserved before the next life of the id begins', async () => {
        // A purge interval (its first sweep is a minute away) keeps the index keys at least twice that past the
        // workflows: with none, they outlive a 3 s workflow by only 300 ms, and a loaded machine that wakes later
        // than that from the sleep finds no trace of the old life (an expiry nothing observed, as the README says).
        const { t } = tenantOf(await storeWith({ REDIS_PURGE_INTERVAL_MS: '60000' }));
        const all = await Collector.open(t);
        const a = uniq('relive-a');
        const b = uniq('relive-b');
        const first = await t.create({ id: a, type: 'ta', state: { life: 1 }, ttlSeconds: 3 });
        await t.create({ id: b, type: 'tb', state: { life: 1 }, ttlSeconds: 3 });
        await sleep(Date.parse(first.expiresAt) + 60 - Date.now());
        // No sweep, no read: the next write of each id is the first to meet the expired workflow.
        await t.create({ id: a, type: 'ta', state: { life: 2 } });
        await t.save(b, { type: 'tb', state: { life: 2 } });
        await harness.observeExpiries(t, [a, b]);
        const end = await sentinel(t, all);
        const events = before(all, end);
        expect({ a: events.filter((e) => e.id === a).map(brief), b: events.filter((e) => e.id === b).map(brief) }).toEqual({
          a: [`created ${a} v1 ta/created`, `expired ${a} v1 ta/created`, `created ${a} v1 ta/created`],
          b: [`created ${b} v1 tb/created`, `expired ${b} v1 tb/created`, `created ${b} v1 tb/created`],
        });
        await all.close();
      });
    });

    describe('filters and tenants', () => {
      it('a filter by id, type, status or a combination delivers exactly the matching events of the full feed, in its order', async () => {
        const { t } = tenantOf();
        const [a, b, c] = [uniq('fa'), uniq('fb'), uniq('fc')];
        const filters: WatchFilter[] = [{ id: a }, { type: 'ta' }, { status: 'sa' }, { type: 'ta', status: 'sa' }, { id: a, status: 'sb' }, { id: uniq('nobody') }];
        const all = await Collector.open(t);
        const watches = await Promise.all(filters.map((filter) => Collector.open(t, filter)));
        await t.create({ id: a, type: 'ta', status: 'sa', state: {} });
        await t.create({ id: b, type: 'tb', status: 'sa', state: {} });
        await t.create({ id: c, type: 'ta', status: 'sb', state: {} });
        await Promise.all([t.update(a, { status: 'sb' }), t.update(b, { type: 'ta' }), t.save(c, { type: 'tb', status: 'sa', state: {} })]);
        await t.touch(a);
        await t.delete(b);
        await t.update(a, { status: 'sa' });
        await t.restore(record(uniq('fr'), 2, 'ta', 'sa', {}));
        await t.mutate(c, (w) => ({ type: 'ta', state: w.state }));
        await t.delete(a);
        const end = await sentinel(t, all);
        const full = before(all, end);
        expect(full.length).toBe(12);
        for (const [i, filter] of filters.entries()) {
          const watch = watches[i] as Collector;
          const expected = full.filter((event) => matchesFilter(event, filter));
          await watch.untilCount(expected.length);
          await sleep(50);
          expectSameEvents(`filter ${JSON.stringify(filter)}`, watch.events, expected);
          expect(watch.messages.every((m) => m.kind === 'event')).toBe(true);
        }
        // Each filter selects something and leaves something out (except the one for an unknown id).
        expect(filters.map((filter) => full.filter((event) => matchesFilter(event, filter)).length)).toEqual([5, 10, 9, 7, 2, 0]);
        for (const watch of [all, ...watches]) await watch.close();
      });

      it('refuses a malformed filter or resume point with InvalidInputError', async () => {
        const { t } = tenantOf();
        const badFilters: unknown[] = [{ bogus: 1 }, { id: '' }, { id: '.hidden' }, { type: 'not a label' }, { status: 7 }, { id: 'x'.repeat(65) }, null, 'all'];
        for (const filter of badFilters) await rejectsWith(t.watch(filter as WatchFilter), InvalidInputError, `filter ${JSON.stringify(filter)}`);
        const badAfters: unknown[] = ['', 'abc', '1-2', '1-2-3-4', '-1-0-0', '1.5-0-0', '1-0-x', ' 1-0-0', '1-0-0 ', 12, `${'9'.repeat(16)}-0-0`];
        for (const after of badAfters) await rejectsWith(t.watch({}, { after: after as string }), InvalidInputError, `after ${JSON.stringify(after)}`);
        // Well-formed ones are accepted.
        const ok = await t.watch({ id: 'w.1', type: 'ta', status: 's-1' }, { after: '0-0-0' });
        await ok.return?.();
      });

      it("a tenant's watch sees its own tenant's events only, named with the tenant", async () => {
        const x = tenantOf();
        const y = tenantOf();
        const id = uniq('shared-id');
        const cd = await Collector.open(store);
        const cx = await Collector.open(x.t);
        const cy = await Collector.open(y.t);
        await store.create({ id, type: 'td', state: {} });
        await x.t.create({ id, type: 'tx', state: {} });
        await y.t.create({ id, type: 'ty', state: {} });
        await x.t.update(id, { status: 'moved' });
        await y.t.delete(id);
        await store.touch(id);
        const ends = [await sentinel(store, cd), await sentinel(x.t, cx), await sentinel(y.t, cy)];
        expect(before(cd, ends[0] as string).map((e) => `${e.tenant} ${brief(e)}`)).toEqual([`${DEFAULT_TENANT} created ${id} v1 td/created`, `${DEFAULT_TENANT} touched ${id} v1 td/created`]);
        expect(before(cx, ends[1] as string).map((e) => `${e.tenant} ${brief(e)}`)).toEqual([`${x.name} created ${id} v1 tx/created`, `${x.name} updated ${id} v2 tx/moved`]);
        expect(before(cy, ends[2] as string).map((e) => `${e.tenant} ${brief(e)}`)).toEqual([`${y.name} created ${id} v1 ty/created`, `${y.name} deleted ${id} v1 ty/created`]);
        // No sentinel of another tenant either.
        for (const [collector, own] of [[cd, ends[0]], [cx, ends[1]], [cy, ends[2]]] as const) {
          expect(collector.events.filter((e) => e.id.startsWith('sentinel-') && e.id !== own)).toEqual([]);
        }
        // A resume point from another tenant's feed resumes in this tenant's feed: it never yields the other's events.
        const resumed = await Collector.open(y.t, {}, (cx.events[0] as WorkflowEvent).eventId);
        const endY = await sentinel(y.t, cy, resumed);
        expect(resumed.events.every((e) => e.tenant === y.name)).toBe(true);
        expect(resumed.events.at(-1)?.id).toBe(endY);
        for (const collector of [cd, cx, cy, resumed]) await collector.close();
      });
    });

    describe('order', () => {
      it('delivers every event once, in feed order, each workflow in write order, the same to every watch', async () => {
        const { t } = tenantOf();
        const first = await Collector.open(t);
        const second = await Collector.open(t);
        const ids = Array.from({ length: 16 }, (_, i) => uniq(`o${i}`));
        await Promise.all(
          ids.map(async (id, i) => {
            await t.create({ id, type: 'to', state: { i } });
            for (let n = 0; n < 8; n++) await (n % 3 === 2 ? t.update(id, { status: `s${n}` }) : t.save(id, { state: { n } }));
            if (i % 4 === 0) await t.touch(id);
            if (i % 5 === 0) await t.delete(id);
          }),
        );
        const end = await sentinel(t, first, second);
        const events = before(first, end);
        expectFeedOrder('first watch', events);
        expectSameEvents('second watch', before(second, end), events);
        const perId = byId(events);
        for (const [i, id] of ids.entries()) {
          const ops = (perId.get(id) ?? []).map((text) => text.split(' ').slice(0, 3).join(' ').replace(` ${id}`, ''));
          const expected = ['created v1', ...Array.from({ length: 8 }, (_, n) => `updated v${n + 2}`), ...(i % 4 === 0 ? ['touched v9'] : []), ...(i % 5 === 0 ? ['deleted v9'] : [])];
          expect([id, ops]).toEqual([id, expected]);
        }
        await first.close();
        await second.close();
      });
    });

    describe('live start and lifecycle', () => {
      it('starts live: a write made after watch() resolved is delivered; one completed just before may be too, never an older one', async () => {
        const { t } = tenantOf();
        // Round 0 opens the tenant's feed afresh; later rounds find it still following (it lingers after the last
        // watch), and a watch starts where it has got to. `older` is older once the feed has delivered it: a watch
        // kept open from round 0 says when, rather than a fixed wait that a loaded machine can outrun.
        let keeper: Collector | undefined;
        for (let round = 0; round < 5; round++) {
          const older = uniq('older');
          await t.create({ id: older, type: 'tl', state: {} });
          await keeper?.untilEventOf(older, 'created');
          const before = uniq('before');
          await t.create({ id: before, type: 'tl', state: {} });
          const watch = await Collector.open(t);
          const id = uniq('first');
          await t.create({ id, type: 'tl', state: {} });
          await watch.untilEventOf(id, 'created');
          const seen = watch.messages.map(messageText);
          expect(seen).not.toContain(`created ${older} v1 tl/created`);
          expect(seen.filter((text) => text !== `created ${before} v1 tl/created`)).toEqual([`created ${id} v1 tl/created`]);
          keeper ??= await Collector.open(t);
          await watch.close();
        }
        await keeper?.close();
      });

      it('ends a watch on abort, on return() and when the store closes; a closed store refuses to watch', async () => {
        const { t } = tenantOf();
        const other = await Collector.open(t);
        const controller = new AbortController();
        const aborted = await t.watch({}, { signal: controller.signal });
        const pending = aborted.next();
        controller.abort();
        expect(await pending).toEqual({ done: true, value: undefined });
        expect(await aborted.next()).toEqual({ done: true, value: undefined });

        const early = new AbortController();
        early.abort();
        const never = await t.watch({}, { signal: early.signal });
        expect(await never.next()).toEqual({ done: true, value: undefined });

        const returned = await t.watch();
        expect(await returned.return?.()).toEqual({ done: true, value: undefined });
        expect(await returned.next()).toEqual({ done: true, value: undefined });

        // The other watch goes on.
        const id = uniq('still');
        await t.create({ id, type: 'tl', state: {} });
        await other.untilEventOf(id);
        await other.close();

        const own = await harness.makeStore();
        const watched = await own.watch();
        const next = watched.next();
        await own.close();
        expect(await next).toEqual({ done: true, value: undefined });
        await rejectsWith(own.watch(), StoreUnavailableError);
      });

      it('refuses to watch with EventsDisabledError when events are off (EVENTS_RETENTION_SECONDS=0), while writes go on', async () => {
        const off = await storeWith({ EVENTS_RETENTION_SECONDS: '0' });
        const view = off.forTenant(freshTenant());
        const error = await rejectsWith(off.watch(), EventsDisabledError);
        expect(error.code).toBe('events-disabled');
        await rejectsWith(view.watch({ type: 'x' }, { after: '1-0-0' }), EventsDisabledError);
        // Input is validated first.
        await rejectsWith(view.watch({ bogus: 1 } as WatchFilter), InvalidInputError);
        const id = uniq('off');
        await view.create({ id, type: 'x', state: {} });
        expect((await view.save(id, { state: { n: 1 } })).version).toBe(2);
        expect((await view.history(id))?.currentVersion).toBe(2);
        await view.delete(id);
      });
    });

    describe('resume', () => {
      it('resuming after any event of a recorded run yields exactly the rest of the feed (reader running), filtered or not', async () => {
        const { t } = tenantOf();
        const all = await Collector.open(t);
        const ids = Array.from({ length: 6 }, (_, i) => uniq(`r${i}`));
        const expected = await workload(t, ids);
        const end = await sentinel(t, all);
        const recorded = before(all, end);
        expect(byId(recorded)).toEqual(expected);
        expect(recorded.length).toBeGreaterThan(35);

        const resumes: { after: string; filter: WatchFilter; watch: Collector }[] = [];
        for (const [i, event] of [...recorded, ...all.events.slice(-1)].entries()) {
          resumes.push({ after: event.eventId, filter: {}, watch: await Collector.open(t, {}, event.eventId) });
          if (i % 3 === 0) resumes.push({ after: event.eventId, filter: { type: 'ta' }, watch: await Collector.open(t, { type: 'ta' }, event.eventId) });
          if (i % 4 === 1) resumes.push({ after: event.eventId, filter: { id: ids[1] as string }, watch: await Collector.open(t, { id: ids[1] as string }, event.eventId) });
        }
        // Live writes after the resumes opened: every resume goes on with them, once.
        await Promise.all(ids.slice(1).map((id) => t.update(id, { type: 'ta', status: 'late' })));
        const end2 = await sentinel(t, all);
        const full = all.events;
        expect(full.at(-1)?.id).toBe(end2);
        for (const { after, filter, watch } of resumes) {
          const rest = full.filter((event) => compareEventIds(event.eventId, after) > 0 && matchesFilter(event, filter));
          await watch.untilCount(rest.length);
          await sleep(5);
          expect(watch.messages.filter((m) => m.kind !== 'event')).toEqual([]);
          expectSameEvents(`resume after ${after} ${JSON.stringify(filter)}`, watch.events, rest);
          await watch.close();
        }
        await all.close();
      }, 60_000);

      it('resuming after a point written before the reader started reads the past from the backend: exactly the rest, then live', async () => {
        const { t } = tenantOf();
        const start = await pointNow();
        const ids = Array.from({ length: 5 }, (_, i) => uniq(`p${i}`));
        const expected = await workload(t, ids);
        // The first watch of this tenant: its reader starts now, after every event above.
        const probe = await Collector.open(t, {}, start);
        const end = await sentinel(t, probe);
        const recorded = before(probe, end);
        expect(probe.messages[0]?.kind).toBe('event');
        expectFeedOrder('the past', recorded);
        expect(byId(recorded)).toEqual(expected);

        const resumes = await Promise.all(recorded.map((event) => Collector.open(t, {}, event.eventId)));
        await Promise.all([t.update(ids[1] as string, { status: 'late' }), t.update(ids[2] as string, { status: 'late' })]);
        const end2 = await sentinel(t, probe);
        const full = probe.events;
        expect(full.slice(-3).map((e) => `${e.id} ${e.status}`).sort()).toEqual([`${ids[1]} late`, `${ids[2]} late`, `${end2} end`].sort());
        for (const [i, watch] of resumes.entries()) {
          const after = (recorded[i] as WorkflowEvent).eventId;
          const rest = full.filter((event) => compareEventIds(event.eventId, after) > 0);
          await watch.untilCount(rest.length);
          await sleep(5);
          expectSameEvents(`resume after ${after}`, watch.events, rest);
          expect(watch.messages.length).toBe(rest.length);
          await watch.close();
        }
        await probe.close();
      }, 60_000);

      if (harness.reopen) {
        const reopen = harness.reopen;
        it('a fresh store instance, whose reader never ran, resumes after any recorded event with exactly the rest of the feed, then live', async () => {
          const { name: tenant, t } = tenantOf();
          const all = await Collector.open(t);
          const ids = Array.from({ length: 6 }, (_, i) => uniq(`c${i}`));
          await workload(t, ids);
          const end = await sentinel(t, all);
          const recorded = all.events;
          expect(recorded.at(-1)?.id).toBe(end);
          const fresh = await reopen(store);
          try {
            const view = fresh.forTenant(tenant);
            const resumes: { after: string; filter: WatchFilter; watch: Collector }[] = [];
            for (const [i, event] of recorded.entries()) {
              const filter: WatchFilter = i % 3 === 2 ? { status: 's1' } : {};
              resumes.push({ after: event.eventId, filter, watch: await Collector.open(view, filter, event.eventId) });
            }
            // Written through either instance, live events follow the past in every resumed watch.
            await t.update(ids[2] as string, { status: 's1' });
            await view.update(ids[3] as string, { status: 's1' });
            const end2 = await sentinel(t, all);
            const full = all.events;
            for (const { after, filter, watch } of resumes) {
              const rest = full.filter((event) => compareEventIds(event.eventId, after) > 0 && matchesFilter(event, filter));
              await watch.untilCount(rest.length);
              await sleep(5);
              expect(watch.messages.filter((m) => m.kind !== 'event')).toEqual([]);
              expectSameEvents(`cold resume after ${after} ${JSON.stringify(filter)}`, watch.events, rest);
            }
            expect(full.at(-1)?.id).toBe(end2);
          } finally {
            await fresh.close();
          }
          await all.close();
        }, 60_000);
      }

      it('a resume point from the future yields reset "unknown" first, then live events only (reader running or not)', async () => {
        const { t } = tenantOf();
        await t.create({ id: uniq('past'), type: 'tu', state: {} });
        const future = `${Date.now() + 3_600_000}-0-0`;
        const cold = await Collector.open(t, {}, future);
        const all = await Collector.open(t);
        const hot = await Collector.open(t, {}, `${Date.now() + 86_400_000}-5-3`);
        const id = uniq('live');
        await t.create({ id, type: 'tu', state: {} });
        const end = await sentinel(t, all, cold, hot);
        for (const watch of [cold, hot]) {
          expect(watch.messages.map(messageText)).toEqual(['reset(unknown)', `created ${id} v1 tu/created`, `created ${end} v1 sentinel/end`]);
          await watch.close();
        }
        await all.close();
      });

      it('a resume point older than the retention yields reset "trimmed" first, then live events only', async () => {
        const short = await storeWith({ EVENTS_RETENTION_SECONDS: '1' });
        const { t } = tenantOf(short);
        const p0 = await pointNow();
        const a = uniq('old');
        await t.create({ id: a, type: 'tt', state: {} });
        await sleep(3);
        await t.save(a, { state: { n: 1 } });
        const p1 = await pointNow();
        await sleep(1_400);
        // Both events above are now older than the retention; this write is not (and trims the older ones).
        await t.save(a, { state: { n: 2 } });
        const p2 = await pointNow();
        const fromStart = await Collector.open(t, {}, p0);
        const fromOld = await Collector.open(t, {}, p1);
        const fromRecent = await Collector.open(t, {}, p2);
        await t.save(a, { state: { n: 3 } });
        const end = await sentinel(t, fromStart, fromOld, fromRecent);
        const live = [`updated ${a} v4 tt/created`, `created ${end} v1 sentinel/end`];
        expect({ fromStart: fromStart.messages.map(messageText) }).toEqual({ fromStart: ['reset(trimmed)', ...live] });
        expect({ fromRecent: fromRecent.messages.map(messageText) }).toEqual({ fromRecent: live });
        // p1 lies after the last event that left the feed, but it is older than the retention: the feed no longer
        // vouches for it, on either backend.
        expect({ fromOld: fromOld.messages.map(messageText) }).toEqual({ fromOld: ['reset(trimmed)', ...live] });
        for (const watch of [fromStart, fromOld, fromRecent]) await watch.close();
      }, 30_000);

      it('with the reader running (the point still in its recent buffer), a resume point older than the retention yields reset "trimmed" too', async () => {
        // The answer to a resume point must not depend on whether this process happens to follow the feed already:
        // a replica whose reader starts now answers "trimmed" for the same point (previous test).
        const short = await storeWith({ EVENTS_RETENTION_SECONDS: '1' });
        const { t } = tenantOf(short);
        const all = await Collector.open(t);
        const a = uniq('old-hot');
        await t.create({ id: a, type: 'tt', state: {} });
        await all.untilEventOf(a);
        const old = (all.events[0] as WorkflowEvent).eventId;
        await sleep(1_400);
        await t.save(a, { state: { n: 2 } });
        await all.untilCount(2);
        const resumed = await Collector.open(t, {}, old);
        await t.save(a, { state: { n: 3 } });
        const end = await sentinel(t, all, resumed);
        expect(resumed.messages.map(messageText)).toEqual(['reset(trimmed)', `updated ${a} v3 tt/created`, `created ${end} v1 sentinel/end`]);
        await resumed.close();
        await all.close();
      }, 30_000);

      it('a resume point trimmed by the size cap (EVENTS_MAX_PER_SHARD) yields reset "trimmed"; a point still held resumes exactly', async () => {
        const capped = await storeWith({ EVENTS_MAX_PER_SHARD: '100' });
        const { t } = tenantOf(capped);
        const a = uniq('cap');
        const p0 = await pointNow();
        await t.create({ id: a, type: 'tc', state: {} });
        let p300 = '';
        for (let version = 2; version <= 350; version++) {
          await t.save(a, { state: { version } });
          if (version === 300) p300 = await pointNow();
        }
        const fromStart = await Collector.open(t, {}, p0);
        const fromHeld = await Collector.open(t, {}, p300);
        const end = await sentinel(t, fromStart, fromHeld);
        expect(fromStart.messages.map(messageText)).toEqual(['reset(trimmed)', `created ${end} v1 sentinel/end`]);
        expect(fromHeld.messages.map(messageText)).toEqual([
          ...Array.from({ length: 50 }, (_, i) => `updated ${a} v${301 + i} tc/created`),
          `created ${end} v1 sentinel/end`,
        ]);
        await fromStart.close();
        await fromHeld.close();
      }, 60_000);
    });

    describe('a consumer that falls behind', () => {
      // One burst of writes, watched by a consumer that reads, one that does not, and (after it) one that resumes.
      const total = WATCH_BUFFER + 50;
      let t: WorkflowStore;
      let start: string;
      let all: WorkflowEvent[];
      let stalled: AsyncIterableIterator<WatchMessage>;
      let end: string;

      beforeAll(async () => {
        // A cap above the burst, so that resuming from before it is not a trim (memory keeps one "shard").
        const roomy = await storeWith({ EVENTS_MAX_PER_SHARD: String(4 * WATCH_BUFFER) });
        t = tenantOf(roomy).t;
        start = await pointNow();
        const reader = await Collector.open(t);
        stalled = await t.watch();
        let next = 0;
        await Promise.all(
          Array.from({ length: 25 }, async () => {
            while (next < total) await t.create({ id: `ov-${next++}`, type: 'to', state: {} });
          }),
        );
        end = await sentinel(t, reader);
        all = reader.events;
        expect(reader.messages.length).toBe(total + 1);
        await reader.close();
      }, 180_000);

      it('a consumer that reads gets every event of a burst, in feed order, with no reset', () => {
        expect(all.length).toBe(total + 1);
        expect(new Set(all.map((e) => e.id)).size).toBe(total + 1);
        expectFeedOrder('the reader', all);
      });

      it(`a watch not read that holds ${WATCH_BUFFER} messages when more arrive loses them: reset "overflow" first, then only the later events`, async () => {
        const late = new Collector(stalled, 'stalled watch');
        await late.untilEventOf(end);
        const [first, ...rest] = late.messages;
        expect(first).toEqual({ kind: 'reset', reason: 'overflow' } satisfies WatchMessage);
        expect(rest.every((m) => m.kind === 'event')).toBe(true);
        const tail = late.events;
        expect(tail.length).toBeGreaterThan(0);
        expect(tail.length).toBeLessThanOrEqual(total + 1 - WATCH_BUFFER); // at least the limit's worth was dropped
        expectSameEvents('after the overflow: the latest events', tail, all.slice(all.length - tail.length));
        await late.close();
      });

      it(`resuming from a point more than ${WATCH_BUFFER} events back, a consumer that reads gets every event once, with no reset`, async () => {
        const resumed = await Collector.open(t, {}, start);
        await resumed.until((messages) => messages.some((m) => m.kind === 'reset') || messages.length >= total + 1, `${total + 1} events`, 60_000);
        await sleep(20);
        expect(resumed.messages.filter((m) => m.kind === 'reset')).toEqual([]);
        expectSameEvents('resumed from before the burst', resumed.events, all);
        await resumed.close();
      }, 90_000);
    });
  });
}
