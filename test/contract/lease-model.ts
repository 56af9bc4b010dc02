/**
 * Model-based (fast-check) suite of leases, run against each backend.
 *
 * Each run works in a tenant of its own, on three workflows, with a watch opened before anything is written.
 * Commands interleave acquisitions (short or long leases, three owners), renewals and releases with the current
 * token or a wrong one (an older token of the same workflow, another workflow's, one never issued), writes of every
 * kind (save, update, mutate, touch, delete, create) without a token, with the current one or a wrong one, sleeps
 * until the short leases have expired, runs of the lease sweep and walks of `list({ stalled: true })`.
 *
 * Lease expiry is made deterministic: before each command, a lease whose expiry is less than GUARD_MS away is waited
 * out, so the model knows whether every lease is live while the command runs. A command that outlasts the guard (a
 * loaded machine) may see a lease expire under it; that run's outcome is then undecided, and the run is skipped
 * (fc.pre) rather than judged, and counted: more than a quarter of the runs skipped fails the test.
 *
 * Checked against the model: every result and every error (exact class and fields: owner and expiresAt of
 * LeaseHeld, token and latest token of LeaseLost); every token is greater than every token issued before for that
 * workflow over the whole run (across delete and re-create) and at least the time in ms × 1000; the stalled walk
 * (pages of 2) equals the model's stalled set after every sweep and at the end; the feed delivers, per workflow,
 * exactly the model's events in order (writes, lease-acquired / lease-released / lease-expired with token and owner,
 * none for renewals or refusals); the final versions.
 *
 * Touches and releases may carry an expected version (the current one or a stale one): a stale one is refused with
 * VersionConflictError after the lease / token check, and writes nothing, records no event, changes no lease. `peek`
 * commands compare `getLease` with the model's lease (state by the model's clock); at the end `events(id)` must be
 * the model's events of each workflow, newest first.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  AlreadyExistsError,
  LeaseHeldError,
  LeaseLostError,
  NotFoundError,
  VersionConflictError,
  type Lease,
  type WorkflowStore,
} from '#workflow-store';
import { Collector, freshTenant, sleep, uniq, type FeedStore } from './feed-support.js';
import type { LeaseHarness } from './lease-harness.js';
import { leaseBrief } from './lease.contract.js';
import { expectedVersionOf, modelView, verArb, type Ver } from './lease-model-views.js';

const SHORT_MS = 200;
const LONG_MS = 60_000;
/** A lease this close to its expiry when a command is due is waited out first. */
const GUARD_MS = 100;
const CLOCK_SLACK_MS = 1000;
const OWNERS = ['ann', 'bob', 'cy'];

type Tok = 'none' | 'latest' | 'older' | 'other-id' | 'bogus';
type WriteOp = 'save' | 'update' | 'mutate' | 'touch' | 'delete' | 'create';

type Command =
  | { kind: 'acquire'; id: number; owner: number; short: boolean }
  | { kind: 'renew'; id: number; tok: Tok; short: boolean }
  | { kind: 'release'; id: number; tok: Tok; ver?: Ver }
  /** `ver` is sent by touches only. */
  | { kind: 'write'; op: WriteOp; id: number; tok: Tok; ver?: Ver }
  /** getLease, compared with the model. */
  | { kind: 'peek'; id: number }
  | { kind: 'sleep' }
  /** A holder that acquires a short lease and dies: acquire, then sleep (expanded before the run). */
  | { kind: 'crash'; id: number; owner: number }
  | { kind: 'sweep' }
  | { kind: 'list' };

const idArb = fc.integer({ min: 0, max: 2 });
const tokArb = fc.constantFrom<Tok>('none', 'latest', 'latest', 'older', 'other-id', 'bogus');
/** Writes go without a token more often: that is what ends a stall (and what a live lease refuses). */
const writeTokArb = fc.constantFrom<Tok>('none', 'none', 'none', 'latest', 'latest', 'older', 'other-id', 'bogus');
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('acquire' as const), id: idArb, owner: fc.integer({ min: 0, max: 2 }), short: fc.boolean() }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant('renew' as const), id: idArb, tok: tokArb, short: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('release' as const), id: idArb, tok: tokArb, ver: verArb }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      op: fc.constantFrom<WriteOp>('save', 'save', 'update', 'update', 'mutate', 'touch', 'touch', 'delete', 'create'),
      id: idArb,
      tok: writeTokArb,
      ver: verArb,
    }),
    weight: 6,
  },
  { arbitrary: fc.record({ kind: fc.constant('peek' as const), id: idArb }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'sleep' as const }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('crash' as const), id: idArb, owner: fc.integer({ min: 0, max: 2 }) }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'sweep' as const }), weight: 3 },
  { arbitrary: fc.constant({ kind: 'list' as const }), weight: 1 },
);

/** Runs always made first: a holder dies, the sweep stalls the workflow, then each way out of the stall (and refusals). */
const EXAMPLES: [Command[]][] = [
  [
    [
      { kind: 'crash', id: 0, owner: 0 },
      { kind: 'crash', id: 1, owner: 1 },
      { kind: 'crash', id: 2, owner: 2 },
      { kind: 'write', op: 'save', id: 0, tok: 'latest' },
      { kind: 'sweep' },
      { kind: 'renew', id: 0, tok: 'latest', short: false },
      { kind: 'write', op: 'update', id: 0, tok: 'none' },
      { kind: 'release', id: 1, tok: 'latest' },
      { kind: 'release', id: 1, tok: 'latest' },
      { kind: 'acquire', id: 2, owner: 0, short: false },
      { kind: 'write', op: 'touch', id: 2, tok: 'none' },
      { kind: 'write', op: 'mutate', id: 2, tok: 'older' },
      { kind: 'write', op: 'save', id: 2, tok: 'latest' },
      { kind: 'list' },
    ],
  ],
  [
    [
      { kind: 'crash', id: 0, owner: 0 },
      { kind: 'sweep' },
      { kind: 'write', op: 'delete', id: 0, tok: 'none' },
      { kind: 'write', op: 'save', id: 0, tok: 'latest' },
      { kind: 'write', op: 'save', id: 0, tok: 'none' },
      { kind: 'acquire', id: 0, owner: 1, short: false },
      { kind: 'write', op: 'delete', id: 0, tok: 'latest' },
      { kind: 'write', op: 'create', id: 0, tok: 'none' },
      { kind: 'acquire', id: 0, owner: 2, short: true },
      { kind: 'release', id: 0, tok: 'other-id' },
      { kind: 'sweep' },
    ],
  ],
  [
    [
      { kind: 'acquire', id: 0, owner: 0, short: false },
      { kind: 'peek', id: 0 },
      { kind: 'write', op: 'touch', id: 0, tok: 'latest', ver: 'stale' },
      { kind: 'write', op: 'touch', id: 0, tok: 'none', ver: 'stale' },
      { kind: 'write', op: 'touch', id: 0, tok: 'latest', ver: 'current' },
      { kind: 'release', id: 0, tok: 'latest', ver: 'stale' },
      { kind: 'release', id: 0, tok: 'older', ver: 'stale' },
      { kind: 'peek', id: 0 },
      { kind: 'release', id: 0, tok: 'latest', ver: 'current' },
      { kind: 'peek', id: 0 },
      { kind: 'crash', id: 1, owner: 1 },
      { kind: 'peek', id: 1 },
      { kind: 'sweep' },
      { kind: 'release', id: 1, tok: 'latest', ver: 'stale' },
      { kind: 'write', op: 'touch', id: 1, tok: 'none', ver: 'stale' },
      { kind: 'peek', id: 1 },
      { kind: 'list' },
      { kind: 'write', op: 'touch', id: 1, tok: 'none', ver: 'current' },
      { kind: 'peek', id: 1 },
      { kind: 'write', op: 'delete', id: 2, tok: 'none' },
      { kind: 'peek', id: 2 },
      { kind: 'write', op: 'touch', id: 2, tok: 'none', ver: 'current' },
    ],
  ],
];

interface MLease {
  token: number;
  owner: string;
  expiresMs: number;
  /** H held, R released, X expired and swept (stalled), W written after it expired. */
  state: 'H' | 'R' | 'X' | 'W';
}

interface MWorkflow {
  exists: boolean;
  version: number;
  lease: MLease | null;
  /** Every token issued for this id in the run, in order (all lives). */
  tokens: number[];
  events: string[];
}

/** What the runs of the current backend exercised (reset per backend). */
let coverage = new Map<string, number>();
/** Runs skipped because a lease expired while a command ran (see the header). */
let straddledRuns = 0;
function covered(what: string): void {
  coverage.set(what, (coverage.get(what) ?? 0) + 1);
}

function live(lease: MLease | null, now: number): lease is MLease {
  return lease !== null && lease.state === 'H' && lease.expiresMs > now;
}

type Expected =
  | { ok: true }
  | { error: 'not-found' }
  | { error: 'already-exists' }
  | { error: 'lease-held'; owner: string; expiresAt: string }
  | { error: 'lease-lost'; token: number; latestToken: number }
  | { error: 'version-conflict'; expectedVersion: number; currentVersion: number };

function describeError(error: unknown): Expected | { unexpected: string } {
  if (error instanceof LeaseHeldError) return { error: 'lease-held', owner: error.owner, expiresAt: error.expiresAt };
  if (error instanceof LeaseLostError) return { error: 'lease-lost', token: error.token, latestToken: error.latestToken };
  if (error instanceof VersionConflictError) return { error: 'version-conflict', expectedVersion: error.expectedVersion, currentVersion: error.currentVersion };
  if (error instanceof NotFoundError) return { error: 'not-found' };
  if (error instanceof AlreadyExistsError) return { error: 'already-exists' };
  return { unexpected: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}

async function outcome<T>(run: () => Promise<T>): Promise<{ value?: T; got: Expected | { unexpected: string } }> {
  try {
    const value = await run();
    return { value, got: { ok: true } };
  } catch (error) {
    return { got: describeError(error) };
  }
}

export interface LeaseModelOptions {
  runs: number;
  maxCommands?: number;
}

export function describeLeaseModel(harness: LeaseHarness, options: LeaseModelOptions): void {
  describe(`lease model: ${harness.name}`, () => {
    let store: FeedStore;
    beforeAll(async () => {
      coverage = new Map();
      straddledRuns = 0;
      store = await harness.makeStore();
    });
    afterAll(async () => {
      await store?.close();
      console.log(`lease model (${harness.name}) coverage: ${JSON.stringify(Object.fromEntries([...coverage].sort()))}; runs skipped as undecided: ${straddledRuns}`);
    });

    it(`${options.runs} runs of interleaved acquire / renew / release / writes / sleeps / sweeps agree with the model`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(commandArb, { minLength: 10, maxLength: options.maxCommands ?? 40 }), async (commands) => {
          const expanded = commands.flatMap((c): Command[] =>
            c.kind === 'crash' ? [{ kind: 'acquire', id: c.id, owner: c.owner, short: true }, { kind: 'sleep' }] : [c],
          );
          await runCommands(harness, store, expanded);
        }),
        { numRuns: options.runs, endOnFailure: false, examples: EXAMPLES },
      );
      // A skip is a command that outlasted GUARD_MS; if most runs were skipped, the model checked next to nothing.
      expect(straddledRuns).toBeLessThanOrEqual(Math.floor(options.runs / 4));
      for (const what of ['acquire ok', 'acquire lease-held', 'renew ok', 'renew lease-lost', 'release ok', 'release lease-lost', 'write ok with token', 'write lease-held', 'write lease-lost', 'sweep stalled', 'stall cleared by write', 'release of stalled', 'write version-conflict', 'release version-conflict', 'peek held', 'peek expired', 'peek released', 'peek cleared', 'peek none']) {
        expect({ what, seen: (coverage.get(what) ?? 0) > 0 }).toEqual({ what, seen: true });
      }
    }, 600_000);
  });
}

async function runCommands(harness: LeaseHarness, store: WorkflowStore, commands: Command[]): Promise<void> {
  const tenant = freshTenant('m');
  const t = store.forTenant(tenant);
  const ids = [uniq('m0'), uniq('m1'), uniq('m2')];
  const feed = await Collector.open(t, {}, undefined, `model watch ${tenant}`);
  const model = new Map<string, MWorkflow>();
  try {
    for (const id of ids) {
      await t.create({ id, type: 'lm', state: { n: 0 } });
      model.set(id, { exists: true, version: 1, lease: null, tokens: [], events: ['created v1'] });
    }
    const log: string[] = [];
    const wfOf = (id: string): MWorkflow => model.get(id) as MWorkflow;
    let commandStart = 0;

    /**
     * Skips the run (fc.pre) when a held lease that was live when the command started may have expired before its
     * answer: the store may have seen it either way. Called after each command's answer, before it is judged.
     */
    function skipIfStraddled(): void {
      const answered = Date.now();
      const straddled = [...model.values()].some((wf) => wf.lease?.state === 'H' && wf.lease.expiresMs > commandStart && wf.lease.expiresMs <= answered + 5);
      if (!straddled) return;
      straddledRuns += 1;
      fc.pre(false);
    }

    /** Waits out any held lease that is about to expire, so liveness is certain while the next command runs. */
    async function guard(): Promise<number> {
      for (;;) {
        const now = Date.now();
        let wait = 0;
        for (const wf of model.values()) {
          const lease = wf.lease;
          if (lease && lease.state === 'H' && lease.expiresMs - now < GUARD_MS && lease.expiresMs - now > -30) wait = Math.max(wait, lease.expiresMs + 30 - now);
        }
        if (wait === 0) return now;
        await sleep(wait);
      }
    }

    function tokenFor(id: string, tok: Tok): number | undefined {
      const wf = wfOf(id);
      const latest = wf.tokens.at(-1);
      switch (tok) {
        case 'none':
          return undefined;
        case 'latest':
          return latest ?? 4242;
        case 'older':
          return wf.tokens.at(-2) ?? (latest === undefined ? 17 : latest - 1);
        case 'other-id': {
          const other = ids.find((o) => o !== id && wfOf(o).tokens.length > 0);
          return other === undefined ? 99 : (wfOf(other).tokens.at(-1) as number);
        }
        case 'bogus':
          return (latest ?? Date.now() * 1000) + 1000;
      }
    }

    function check(step: string, got: Expected | { unexpected: string }, expected: Expected): void {
      skipIfStraddled();
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        throw new Error(`${step}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}\nlog:\n${log.join('\n')}`);
      }
    }

    /** The fencing verdict of a write with `token` on an existing workflow (or one whose lease is `lease`). */
    function fence(lease: MLease | null, token: number | undefined, now: number): Expected {
      if (token === undefined) {
        return live(lease, now) ? { error: 'lease-held', owner: lease.owner, expiresAt: new Date(lease.expiresMs).toISOString() } : { ok: true };
      }
      if (!live(lease, now) || lease.token !== token) return { error: 'lease-lost', token, latestToken: lease?.token ?? 0 };
      return { ok: true };
    }

    async function stalledWalk(): Promise<string[]> {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 100; page++) {
        const result = await t.list({ stalled: true, limit: 2, ...(cursor === undefined ? {} : { cursor }) });
        if (result.items.length > 2) throw new Error(`stalled page of ${result.items.length} > limit 2`);
        seen.push(...result.items.map((w) => w.id));
        if (result.nextCursor === null) return seen.sort();
        cursor = result.nextCursor;
      }
      throw new Error('stalled walk did not end');
    }

    async function checkStalled(step: string): Promise<void> {
      const expected = ids.filter((id) => wfOf(id).exists && wfOf(id).lease?.state === 'X').sort();
      const actual = await stalledWalk();
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        throw new Error(`${step}: stalled ${JSON.stringify(actual)}, model ${JSON.stringify(expected)}\nlog:\n${log.join('\n')}`);
      }
      if (expected.length > 0) covered('stalled listed');
    }

    for (const [n, command] of commands.entries()) {
      const now = await guard();
      commandStart = now;
      const step = `#${n} ${JSON.stringify(command)}`;
      log.push(step);
      switch (command.kind) {
        case 'acquire': {
          const id = ids[command.id] as string;
          const wf = wfOf(id);
          const owner = OWNERS[command.owner] as string;
          const ttl = command.short ? SHORT_MS : LONG_MS;
          const before = Date.now();
          const { value, got } = await outcome(() => t.acquireLease(id, { owner, ttlMs: ttl }));
          const expected: Expected = !wf.exists
            ? { error: 'not-found' }
            : live(wf.lease, now)
              ? { error: 'lease-held', owner: wf.lease.owner, expiresAt: new Date(wf.lease.expiresMs).toISOString() }
              : { ok: true };
          check(step, got, expected);
          covered(`acquire ${'error' in expected ? expected.error : 'ok'}`);
          if (value) {
            const lease = value as Lease;
            const previous = wf.tokens.at(-1) ?? 0;
            if (!(Number.isSafeInteger(lease.token) && lease.token > previous && lease.token >= (before - CLOCK_SLACK_MS) * 1000)) {
              throw new Error(`${step}: token ${lease.token} not above the previous ${previous} or below the time ${before} × 1000\nlog:\n${log.join('\n')}`);
            }
            if (lease.owner !== owner || lease.id !== id) throw new Error(`${step}: lease ${JSON.stringify(lease)}`);
            const expiresMs = Date.parse(lease.expiresAt);
            if (Math.abs(expiresMs - (before + ttl)) > CLOCK_SLACK_MS) throw new Error(`${step}: expiresAt ${lease.expiresAt} not ~ now + ${ttl}`);
            if (wf.lease?.state === 'X') covered('acquire of stalled');
            wf.tokens.push(lease.token);
            wf.lease = { token: lease.token, owner, expiresMs, state: 'H' };
            wf.events.push(`lease-acquired v${wf.version} ${lease.token} ${owner}`);
            log.push(`  -> token ${lease.token} until ${lease.expiresAt}`);
          }
          break;
        }
        case 'renew': {
          const id = ids[command.id] as string;
          const wf = wfOf(id);
          const token = tokenFor(id, command.tok === 'none' ? 'latest' : command.tok) as number;
          const ttl = command.short ? SHORT_MS : LONG_MS;
          const before = Date.now();
          const { value, got } = await outcome(() => t.renewLease(id, token, ttl));
          const expected: Expected = !wf.exists
            ? { error: 'not-found' }
            : !live(wf.lease, now) || wf.lease.token !== token
              ? { error: 'lease-lost', token, latestToken: wf.lease?.token ?? 0 }
              : { ok: true };
          check(step, got, expected);
          covered(`renew ${'error' in expected ? expected.error : 'ok'}`);
          if (value) {
            const lease = value as Lease;
            const held = wf.lease as MLease;
            if (lease.token !== held.token || lease.owner !== held.owner) throw new Error(`${step}: renewed ${JSON.stringify(lease)} is not ${JSON.stringify(held)}`);
            held.expiresMs = Date.parse(lease.expiresAt);
            if (Math.abs(held.expiresMs - (before + ttl)) > CLOCK_SLACK_MS) throw new Error(`${step}: expiresAt ${lease.expiresAt} not ~ now + ${ttl}`);
            log.push(`  -> until ${lease.expiresAt}`);
          }
          break;
        }
        case 'release': {
          const id = ids[command.id] as string;
          const wf = wfOf(id);
          const token = tokenFor(id, command.tok === 'none' ? 'latest' : command.tok) as number;
          const expectedVersion = expectedVersionOf(command.ver, wf.version);
          const { got } = await outcome(() => t.releaseLease(id, token, expectedVersion === undefined ? {} : { expectedVersion }));
          const lease = wf.lease;
          const expected: Expected = !wf.exists
            ? { error: 'not-found' }
            : !lease || lease.token !== token || (lease.state !== 'H' && lease.state !== 'X')
              ? { error: 'lease-lost', token, latestToken: lease?.token ?? 0 }
              : expectedVersion !== undefined && expectedVersion !== wf.version
                ? { error: 'version-conflict', expectedVersion, currentVersion: wf.version }
                : { ok: true };
          check(step, got, expected);
          covered(`release ${'error' in expected ? expected.error : 'ok'}`);
          if ('ok' in expected && lease) {
            if (lease.state === 'X') covered('release of stalled');
            else if (!live(lease, now)) covered('release of expired');
            lease.state = 'R';
            wf.events.push(`lease-released v${wf.version} ${lease.token} ${lease.owner}`);
          }
          break;
        }
        case 'write': {
          const id = ids[command.id] as string;
          const wf = wfOf(id);
          const token = command.op === 'create' ? undefined : tokenFor(id, command.tok);
          const opts = token === undefined ? {} : { leaseToken: token };
          const expectedVersion = command.op === 'touch' ? expectedVersionOf(command.ver, wf.version) : undefined;
          const mark = `c${n}`;
          const { value, got } = await outcome<unknown>(() => {
            switch (command.op) {
              case 'create':
                return t.create({ id, type: 'lm', state: { mark } });
              case 'save':
                return t.save(id, { state: { mark } }, opts);
              case 'update':
                return t.update(id, { state: { mark } }, opts);
              case 'mutate':
                return t.mutate(id, (current) => ({ state: { ...current.state, mark } }), opts);
              case 'touch':
                return t.touch(id, expectedVersion === undefined ? opts : { ...opts, expectedVersion });
              case 'delete':
                return t.delete(id, opts);
            }
          });
          let expected: Expected;
          if (command.op === 'create') expected = wf.exists ? { error: 'already-exists' } : { ok: true };
          else if (!wf.exists && command.op !== 'save') expected = { error: 'not-found' };
          else expected = fence(wf.exists ? wf.lease : null, token, now);
          if ('ok' in expected && wf.exists && expectedVersion !== undefined && expectedVersion !== wf.version) {
            expected = { error: 'version-conflict', expectedVersion, currentVersion: wf.version };
          }
          check(step, got, expected);
          covered(`write ${'error' in expected ? expected.error : token === undefined ? 'ok' : 'ok with token'}`);
          if (value !== undefined) {
            const version = (value as { version: number }).version;
            if (command.op === 'create' || (command.op === 'save' && !wf.exists)) {
              wf.exists = true;
              wf.version = 1;
              wf.lease = null;
              wf.events.push('created v1');
            } else if (command.op === 'delete') {
              wf.exists = false;
              wf.lease = null;
              wf.events.push(`deleted v${wf.version}`);
            } else {
              if (command.op !== 'touch') wf.version += 1;
              const lease = wf.lease;
              if (lease && (lease.state === 'X' || (lease.state === 'H' && lease.expiresMs <= now))) {
                if (lease.state === 'X') covered('stall cleared by write');
                lease.state = 'W';
              }
              wf.events.push(`${command.op === 'touch' ? 'touched' : 'updated'} v${wf.version}`);
            }
            const reported = command.op === 'delete' ? (value as { version: number }).version : version;
            if (reported !== wf.version) throw new Error(`${step}: version ${reported}, model ${wf.version}\nlog:\n${log.join('\n')}`);
          }
          break;
        }
        case 'sleep': {
          const ends = [...model.values()].flatMap((wf) => (wf.lease?.state === 'H' && wf.lease.expiresMs > Date.now() - 30 && wf.lease.expiresMs - Date.now() < SHORT_MS + 50 ? [wf.lease.expiresMs] : []));
          await sleep(ends.length ? Math.max(...ends) + 30 - Date.now() : 50);
          break;
        }
        case 'sweep': {
          await harness.sweepLeases(t);
          skipIfStraddled();
          for (const wf of model.values()) {
            const lease = wf.lease;
            if (wf.exists && lease && lease.state === 'H' && lease.expiresMs <= now) {
              lease.state = 'X';
              wf.events.push(`lease-expired v${wf.version} ${lease.token} ${lease.owner}`);
              covered('sweep stalled');
            }
          }
          await checkStalled(step);
          break;
        }
        case 'list':
          await checkStalled(step);
          break;
        case 'peek': {
          const id = ids[command.id] as string;
          const wf = wfOf(id);
          const view = await t.getLease(id);
          skipIfStraddled();
          const expected = modelView(id, wf.exists, wf.lease, now);
          if (JSON.stringify(view) !== JSON.stringify(expected)) {
            throw new Error(`${step}: getLease ${JSON.stringify(view)}, model ${JSON.stringify(expected)}\nlog:\n${log.join('\n')}`);
          }
          covered(`peek ${expected?.state ?? 'none'}`);
          break;
        }
        case 'crash':
          throw new Error('crash commands are expanded before the run');
      }
    }

    await guard();
    await checkStalled('end');
    for (const id of ids) {
      const wf = wfOf(id);
      const stored = await t.get(id);
      if ((stored?.version ?? 0) !== (wf.exists ? wf.version : 0)) {
        throw new Error(`end: ${id} stored v${String(stored?.version)}, model ${wf.exists ? `v${wf.version}` : 'absent'}\nlog:\n${log.join('\n')}`);
      }
    }
    await sleep(3);
    const end = uniq('end');
    await t.create({ id: end, type: 'sentinel', state: {} });
    await feed.untilEventOf(end);
    for (const id of ids) {
      const actual = feed.events.filter((e) => e.id === id).map(leaseBrief);
      const expected = wfOf(id).events;
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        throw new Error(`feed of ${id}:\n  got      ${JSON.stringify(actual)}\n  expected ${JSON.stringify(expected)}\nlog:\n${log.join('\n')}`);
      }
      const read = (await t.events(id, { limit: 1000 })).map(leaseBrief).reverse();
      if (JSON.stringify(read) !== JSON.stringify(expected)) {
        throw new Error(`events(${id}):\n  got      ${JSON.stringify(read)}\n  expected ${JSON.stringify(expected)}\nlog:\n${log.join('\n')}`);
      }
    }
  } finally {
    await feed.close();
  }
}
