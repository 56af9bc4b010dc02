/**
 * The change feed is written by the write's own script: no write without its event, no event without its write,
 * under faults that cut writes at every point (T3 SIGSTOP/SIGCONT longer than the command timeout, T6 CLIENT KILL of
 * the store's command and subscriber connections), while writers create, update, save with If-Match, touch and
 * delete, retrying with the same operation id or abandoning some writes whose outcome is unknown.
 *
 * Afterwards every shard stream of the tenant is read directly (XRANGE over each `…:x` key, keys from RedisKeys) and
 * every workflow's history (WORKFLOW_HISTORY_VERSIONS=1000 keeps every version), and checked per workflow:
 * - its create/update events have exactly the versions 1..N (N = the current version, or the deleted one), once each;
 * - a workflow that exists has every version 1..N in its history, and each version's event carries that version's
 *   status; it has no delete event. One that is gone has exactly one delete event, last, at N, and a delete was sent;
 * - every event names an operation a writer sent (each write sets a status of its own), that operation was applied at
 *   most once (one event), and an acknowledged one is in the feed at the version it was told; a touch event matches a
 *   touch that was sent (acknowledged at that version or of unknown outcome);
 * - a live watch (another store, started before the first write) delivered exactly the streams' events, in order.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import {
  createWorkflowStore,
  loadWorkflowStoreConfig,
  OutcomeUnknownError,
  StoreUnavailableError,
  VersionConflictError,
  type ValidatingWorkflowStore,
  type Workflow,
} from '#workflow-store';
import type { WorkflowEvent } from '../../libs/workflow-store/src/events/workflow-event.js';
import { layoutOf } from '../support/redis-layout.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { FeedRecorder, head, readAllStreams } from './change-feed.js';

const WRITERS = 8;
const CYCLES = 5;
/** Longer than REDIS_COMMAND_TIMEOUT_MS (1000): writes sent meanwhile are outcome-unknown, applied on SIGCONT. */
const PAUSE_MS = 1300;
const HISTORY_VERSIONS = 1000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Kind = 'create' | 'update' | 'save' | 'touch' | 'delete';
interface Operation {
  id: string;
  kind: Kind;
  /** The operation id (Idempotency-Key) its attempts share. */
  op: string;
  /** The status it writes (create/update/save): unique, so an event names its operation. */
  status?: string;
  outcome: 'ok' | 'unknown' | 'fail';
  /** The version it was told (ok only). */
  version?: number;
}

describe('change feed atomicity under SIGSTOP/SIGCONT and CLIENT KILL', () => {
  let redis: RedisServer | undefined;
  let admin: Redis | undefined;
  const stores: ValidatingWorkflowStore[] = [];
  let watch: FeedRecorder | undefined;
  let stop = false;
  let writers: Promise<unknown> | undefined;
  afterAll(async () => {
    stop = true;
    redis?.resume();
    await writers;
    await watch?.close();
    for (const store of stores) await store.close();
    admin?.disconnect();
    await redis?.stop();
  });

  it('leaves no write without its event and no event without its write', async () => {
    redis = await RedisServer.start();
    const prefix = randomPrefix();
    const open = async (): Promise<ValidatingWorkflowStore> => {
      const store = createWorkflowStore(
        loadWorkflowStoreConfig({
          USE_REDIS: 'true',
          REDIS_URL: redis!.url,
          REDIS_KEY_PREFIX: prefix,
          WORKFLOW_STATE_TTL: '600',
          WORKFLOW_HISTORY_VERSIONS: String(HISTORY_VERSIONS),
          REDIS_PURGE_INTERVAL_MS: '0',
        }),
        quietLogger(),
      );
      stores.push(store);
      await store.connect();
      return store;
    };
    const store = await open();
    const watcher = await open();
    watch = new FeedRecorder(await watcher.watch());
    admin = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true });
    await admin.connect();

    const operations: Operation[] = [];
    const unexpected: string[] = [];
    let counter = 0;
    const type = 'atomic';

    /** Runs one operation: retried with its operation id while unavailable/unknown; an unknown one is abandoned half the time. */
    const attempt = async (operation: Operation, call: () => Promise<Workflow | { version: number }>, mayAbandon: boolean): Promise<void> => {
      operations.push(operation);
      const deadline = Date.now() + 15_000;
      for (;;) {
        try {
          const result = await call();
          operation.outcome = 'ok';
          operation.version = result.version;
          return;
        } catch (error) {
          if (error instanceof OutcomeUnknownError) operation.outcome = 'unknown';
          else if (error instanceof VersionConflictError) return; // nothing written (an earlier abandoned write moved it on)
          else if (!(error instanceof StoreUnavailableError)) {
            unexpected.push(`${operation.kind} ${operation.id}: ${(error as Error).name}: ${(error as Error).message}`);
            return;
          }
          if ((operation.outcome === 'unknown' && mayAbandon && Math.random() < 0.5) || Date.now() > deadline || (stop && mayAbandon)) return;
          await sleep(20);
        }
      }
    };

    const writer = async (w: number): Promise<void> => {
      let id: string | undefined;
      let known: number | undefined;
      while (!stop) {
        const op = `w${w}.${counter++}`;
        if (!id) {
          const newId = randomId(`at${w}`);
          const operation: Operation = { id: newId, kind: 'create', op, status: `c${op}`, outcome: 'fail' };
          await attempt(operation, () => store.create({ id: newId, type, status: `c${op}`, state: { [op]: true } }, { operationId: op }), false);
          if (operation.outcome !== 'ok') {
            if (operation.outcome === 'unknown') unexpected.push(`create ${newId} still unknown after 15 s`);
            continue;
          }
          id = newId;
          known = 1;
          continue;
        }
        const current = id;
        const dice = Math.random();
        const kind: Kind = dice < 0.6 ? 'update' : dice < 0.8 ? 'save' : dice < 0.95 ? 'touch' : 'delete';
        const operation: Operation = { id: current, kind, op, outcome: 'fail' };
        if (kind === 'update') {
          operation.status = `u${op}`;
          await attempt(operation, () => store.update(current, { status: `u${op}`, state: { [op]: true } }, { operationId: op }), true);
        } else if (kind === 'save') {
          if (known === undefined) {
            try {
              known = (await store.get(current))?.version;
            } catch {
              continue; // unavailable: try something else
            }
            if (known === undefined) {
              unexpected.push(`${current} vanished`);
              id = undefined;
              continue;
            }
          }
          const expectedVersion = known;
          operation.status = `s${op}`;
          await attempt(operation, () => store.save(current, { type, status: `s${op}`, state: { [op]: true } }, { expectedVersion, operationId: op }), true);
        } else if (kind === 'touch') {
          await attempt(operation, () => store.touch(current, { operationId: op }), true);
        } else {
          await attempt(operation, () => store.delete(current, { operationId: op }), true);
          id = undefined;
        }
        known = operation.outcome === 'ok' ? operation.version : undefined;
      }
    };
    writers = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));

    let kills = 0;
    let pauses = 0;
    const killClients = async (): Promise<void> => {
      kills += Number(await admin!.call('CLIENT', 'KILL', 'TYPE', 'normal')); // SKIPME yes: not the admin's own
      kills += Number(await admin!.call('CLIENT', 'KILL', 'TYPE', 'pubsub')); // the feed's subscriber connections
    };
    const started = Date.now();
    try {
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        await sleep(500);
        await killClients();
        await sleep(300);
        redis.pause();
        pauses += 1;
        await sleep(PAUSE_MS);
        redis.resume();
        await sleep(250);
        await killClients();
      }
      await sleep(800);
    } finally {
      redis.resume();
      stop = true;
      await writers;
    }
    const faultsMs = Date.now() - started;
    await sleep(300); // nothing is in flight any more; let the last notices arrive

    // Everything Redis holds: every shard stream of the tenant, read directly, and each workflow's versions.
    const streamed = await readAllStreams(admin, layoutOf(prefix));
    const ids = [...new Set(operations.map((o) => o.id))];
    const histories = new Map<string, { version: number; status: string }[] | null>();
    for (const id of ids) {
      const history = await store.history(id);
      histories.set(id, history && history.versions.map((v) => ({ version: v.version, status: v.status })));
    }

    const problems: string[] = [];
    const byStatus = new Map(operations.filter((o) => o.status).map((o) => [o.status as string, o]));
    const eventsOf = new Map<string, WorkflowEvent[]>();
    for (const event of streamed) eventsOf.set(event.id, [...(eventsOf.get(event.id) ?? []), event]);
    for (const id of eventsOf.keys()) if (!ids.includes(id)) problems.push(`event of ${id}, which no writer wrote`);
    const applied = new Set<Operation>();
    for (const id of ids) {
      const events = eventsOf.get(id) ?? [];
      const ops = operations.filter((o) => o.id === id);
      const history = histories.get(id);
      const writes = events.filter((e) => e.op === 'created' || e.op === 'updated');
      const deletes = events.filter((e) => e.op === 'deleted');
      const last = writes[writes.length - 1]?.version ?? 0;
      const versions = writes.map((e) => e.version).join(',');
      if (versions !== Array.from({ length: last }, (_, i) => i + 1).join(',')) problems.push(`${id}: create/update event versions ${versions}`);
      if (writes[0]?.op !== 'created' || writes.slice(1).some((e) => e.op !== 'updated')) problems.push(`${id}: events ${writes.map((e) => e.op).join(',')}`);
      if (history) {
        // Exists: every version 1..current kept, each with its event (same status), and no delete event.
        const kept = [...history].sort((a, b) => a.version - b.version);
        if (kept.map((v) => v.version).join(',') !== Array.from({ length: last }, (_, i) => i + 1).join(',')) {
          problems.push(`${id}: history versions ${kept.map((v) => v.version).join(',')} but events up to ${last}`);
        }
        for (const v of kept) {
          const event = writes.find((e) => e.version === v.version);
          if (event && event.status !== v.status) problems.push(`${id}: v${v.version} stored with status ${v.status}, its event says ${event.status}`);
        }
        if (deletes.length > 0) problems.push(`${id}: exists, yet has ${deletes.length} delete event(s)`);
        for (const o of ops.filter((x) => x.kind === 'delete' && x.outcome === 'ok')) problems.push(`${id}: delete ${o.op} acknowledged but the workflow exists`);
      } else {
        // Gone (no TTL ran out: 600 s): deleted, so one delete event, last, at the last version; and a delete was sent.
        if (deletes.length !== 1 || events[events.length - 1]?.op !== 'deleted' || deletes[0]?.version !== last) {
          problems.push(`${id}: gone; events ${events.map((e) => `${e.op}@${e.version}`).join(',')}`);
        }
        if (!ops.some((o) => o.kind === 'delete' && o.outcome !== 'fail')) problems.push(`${id}: gone, but no delete was sent`);
      }
      // Each event names an operation: applied once, at the version it was told when acknowledged.
      for (const event of writes) {
        const operation = byStatus.get(event.status);
        if (!operation || operation.id !== id) problems.push(`${id}: event v${event.version} (${event.status}) is no write of this workflow`);
        else if (applied.has(operation)) problems.push(`${id}: operation ${operation.op} has two events`);
        else if (operation.outcome === 'fail') problems.push(`${id}: operation ${operation.op} was refused (nothing written) yet has an event`);
        else if (operation.outcome === 'ok' && operation.version !== event.version) problems.push(`${id}: ${operation.op} was told v${String(operation.version)}, its event is v${event.version}`);
        if (operation) applied.add(operation);
      }
      for (const o of ops.filter((x) => x.status && x.outcome === 'ok' && !applied.has(x))) problems.push(`${id}: ${o.kind} ${o.op} acknowledged (v${String(o.version)}) but has no event`);
      // Touches: each acknowledged one at its version; no more touch events at a version than touches that may have applied.
      const touches = events.filter((e) => e.op === 'touched');
      const unknownTouches = ops.filter((o) => o.kind === 'touch' && o.outcome === 'unknown').length;
      for (const v of new Set([...touches.map((e) => e.version), ...ops.filter((o) => o.kind === 'touch' && o.outcome === 'ok').map((o) => o.version as number)])) {
        const seen = touches.filter((e) => e.version === v).length;
        const acked = ops.filter((o) => o.kind === 'touch' && o.outcome === 'ok' && o.version === v).length;
        if (seen < acked || seen > acked + unknownTouches) problems.push(`${id}: ${seen} touch events at v${v}, ${acked} acknowledged touches there, ${unknownTouches} unknown`);
        const at = writes.find((e) => e.version === v);
        for (const t of touches.filter((e) => e.version === v)) if (at && t.status !== at.status) problems.push(`${id}: touch event at v${v} says ${t.status}, the version is ${at.status}`);
      }
      for (const o of ops.filter((x) => x.kind === 'delete' && x.outcome === 'ok')) {
        if (!deletes.some((e) => e.version === o.version)) problems.push(`${id}: delete ${o.op} acknowledged (v${String(o.version)}) but has no event`);
      }
    }

    // The live watch saw exactly what the streams hold, in the same order.
    const caughtUp = await watch.waitFor((r) => r.events.length >= streamed.length, 10_000);
    await sleep(300);
    const watched = watch.events.map((e) => e.eventId);
    const stored = streamed.map((e) => e.eventId);
    const firstDifference = stored.findIndex((eventId, i) => watched[i] !== eventId);

    const count = (kind: Kind, outcome: Operation['outcome']): number => operations.filter((o) => o.kind === kind && o.outcome === outcome).length;
    const unknownTotal = operations.filter((o) => o.outcome === 'unknown').length;
    console.log(
      `feed atomicity: ${pauses} pauses of ${PAUSE_MS} ms and ${kills} killed connections in ${faultsMs} ms; ${operations.length} operations on ${ids.length} workflows ` +
        `(ok/unknown/fail: ${(['create', 'update', 'save', 'touch', 'delete'] as Kind[]).map((k) => `${k} ${count(k, 'ok')}/${count(k, 'unknown')}/${count(k, 'fail')}`).join(', ')}); ` +
        `${unknownTotal} left unknown (${operations.filter((o) => o.outcome === 'unknown' && o.status).length} of them creates/updates/saves, of which ${operations.filter((o) => o.outcome === 'unknown' && applied.has(o)).length} applied by their events); ` +
        `${streamed.length} events in the streams, ${watched.length} delivered to the live watch (resets ${watch.resets.length})`,
    );
    expect(unexpected).toEqual([]);
    expect(pauses).toBe(CYCLES);
    expect(kills).toBeGreaterThanOrEqual(2 * CYCLES);
    expect(unknownTotal).toBeGreaterThan(0); // the faults did cut writes
    expect(count('delete', 'ok')).toBeGreaterThan(0);
    expect(count('touch', 'ok')).toBeGreaterThan(0);
    expect(count('save', 'ok')).toBeGreaterThan(0);
    expect(head(problems, 20)).toEqual([]);
    expect(watch.error).toBeUndefined();
    expect(watch.resets).toEqual([]);
    expect(caughtUp).toBe(true);
    expect({ firstDifference, watched: watched.length }).toEqual({ firstDifference: -1, watched: stored.length });
  }, 90_000);
});
