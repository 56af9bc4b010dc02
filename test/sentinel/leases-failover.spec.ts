/**
 * Lease tokens across a Sentinel failover (1 master + 1 replica + 3 Sentinels, down-after 1000 ms; see
 * sentinel-failover.spec.ts for the topology). A store with REDIS_DURABILITY=replica (every success confirmed by
 * WAIT 1) and one with durability none each run a loop per workflow — acquire, release, acquire, … (leases of 1 s,
 * so one whose answer was lost ends by itself) — before, during and after a kill -9 of the master. Every token
 * returned is recorded with the time its acquisition started and ended.
 *
 * Checked: per workflow, the tokens in the order they were returned strictly increase across the failover; every
 * token an acquisition returned after the failover is greater than every token returned before the kill (per
 * workflow, and over all of them); only StoreUnavailable / OutcomeUnknown (and LeaseHeld / LeaseLost after such an
 * unknown outcome or a failed release; with durability none also LeaseHeld by the loop's own lease of before the
 * kill, whose acknowledged release the failover lost) during the switch. With durability replica, a lease confirmed before the kill survives it: writes
 * still need its token (LeaseHeld without), its token still writes and releases, and the next acquisition's token
 * is above it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createWorkflowStore,
  LeaseHeldError,
  LeaseLostError,
  loadWorkflowStoreConfig,
  OutcomeUnknownError,
  StoreUnavailableError,
  type ValidatingWorkflowStore,
} from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisSentinelSetup } from '../support/redis-sentinel.js';

const WORKFLOWS = 4;
const LEASE_MS = 1000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let setup: RedisSentinelSetup;
const stores: ValidatingWorkflowStore[] = [];
const loops: TokenLoop[] = [];

beforeAll(async () => {
  setup = await RedisSentinelSetup.start();
}, 60_000);
afterAll(async () => {
  for (const loop of loops) await loop.stop();
  for (const store of stores) await store.close();
  await setup?.stop();
});

async function openStore(durability: 'none' | 'replica'): Promise<ValidatingWorkflowStore> {
  const store = createWorkflowStore(
    loadWorkflowStoreConfig({
      USE_REDIS: 'true',
      REDIS_SENTINELS: setup.sentinelList,
      REDIS_SENTINEL_NAME: setup.name,
      REDIS_DURABILITY: durability,
      REDIS_KEY_PREFIX: randomPrefix(),
      WORKFLOW_STATE_TTL: '600',
      LEASE_SWEEP_INTERVAL_MS: '0',
      REDIS_PURGE_INTERVAL_MS: '0',
    }),
    quietLogger(),
  );
  await store.connect();
  stores.push(store);
  return store;
}

interface Issued {
  id: string;
  token: number;
  start: number;
  end: number;
}

/** One acquire/release loop per workflow through one store, recording every token returned. */
class TokenLoop {
  readonly ids = Array.from({ length: WORKFLOWS }, () => randomId('lease'));
  readonly issued: Issued[] = [];
  /** StoreUnavailable / OutcomeUnknown, and LeaseHeld / LeaseLost after an unknown outcome: counted. */
  readonly tolerated = new Map<string, number>();
  /** Anything else: must stay empty. */
  readonly unexpected: string[] = [];
  /** When the master was killed (set by the test just before). */
  killedAt: number | undefined;
  private stopped = false;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly store: ValidatingWorkflowStore,
  ) {}

  async start(): Promise<void> {
    loops.push(this);
    for (const id of this.ids) await this.store.create({ id, type: 'leased', state: {} });
    this.running = Promise.all(this.ids.map((id) => this.loop(id)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  firstAfter(t: number): Issued | undefined {
    return this.issued.find((i) => i.start > t);
  }

  private note(error: unknown, unknownBefore: boolean): void {
    const name = (error as Error).name;
    const expected =
      error instanceof StoreUnavailableError ||
      error instanceof OutcomeUnknownError ||
      // After a lost answer or a failed release the lease may be held (by this loop, token dropped) or already ended.
      (unknownBefore && (error instanceof LeaseHeldError || error instanceof LeaseLostError)) ||
      this.lostByFailover(error);
    if (expected) this.tolerated.set(name, (this.tolerated.get(name) ?? 0) + 1);
    else this.unexpected.push(`${name}: ${(error as Error).message}`);
  }

  /**
   * Durability none: a release the old master acknowledged may not have reached the replica before the kill, so the
   * promoted master still has that lease of this loop's (an earlier owner of its own) until its TTL ends.
   */
  private lostByFailover(error: unknown): boolean {
    if (this.name !== 'none' || this.killedAt === undefined || !(error instanceof LeaseHeldError)) return false;
    return error.owner.startsWith(`${this.name}-`) && Date.parse(error.expiresAt) <= this.killedAt + LEASE_MS;
  }

  private async loop(id: string): Promise<void> {
    let unknown = false;
    let n = 0;
    while (!this.stopped) {
      const start = Date.now();
      let token: number;
      try {
        token = (await this.store.acquireLease(id, { owner: `${this.name}-${n++}`, ttlMs: LEASE_MS })).token;
        this.issued.push({ id, token, start, end: Date.now() });
      } catch (error) {
        this.note(error, unknown);
        if (error instanceof OutcomeUnknownError) unknown = true;
        await sleep(error instanceof LeaseHeldError ? 100 : 25);
        continue;
      }
      try {
        await this.store.releaseLease(id, token);
        unknown = false;
      } catch (error) {
        this.note(error, unknown);
        // Not released (or not known to be): the lease may live on until its TTL, its token dropped.
        unknown = true;
        await sleep(25);
      }
    }
  }
}

/** Per workflow: the tokens in the order returned must strictly increase. */
function orderViolations(loop: TokenLoop): string[] {
  const violations: string[] = [];
  for (const id of loop.ids) {
    const own = loop.issued.filter((i) => i.id === id);
    for (let k = 1; k < own.length; k++) {
      const previous = own[k - 1] as Issued;
      const current = own[k] as Issued;
      if (current.token <= previous.token) violations.push(`${loop.name} ${id}: ${current.token} returned after ${previous.token}`);
    }
  }
  return violations;
}

/**
 * The highest token (0 if none). Not Math.max(...tokens): a fast loop issues 100 000 tokens or more while Sentinel
 * converts the old master, past the number of arguments a spread may pass.
 */
const highest = (issued: readonly Issued[]): number => issued.reduce((most, i) => Math.max(most, i.token), 0);

/** Tokens returned after the failover that are not above every token returned before the kill. */
function reissued(loop: TokenLoop, killedAt: number, promotedAt: number): { perWorkflow: string[]; maxBefore: number; minAfter: number; before: number; after: number } {
  const before = loop.issued.filter((i) => i.end < killedAt);
  const after = loop.issued.filter((i) => i.start > promotedAt);
  const perWorkflow: string[] = [];
  for (const id of loop.ids) {
    const maxBefore = highest(before.filter((i) => i.id === id));
    for (const later of after.filter((i) => i.id === id)) {
      if (later.token <= maxBefore) perWorkflow.push(`${loop.name} ${id}: ${later.token} after the failover, ${maxBefore} before`);
    }
  }
  return {
    perWorkflow,
    maxBefore: highest(before),
    minAfter: after.reduce((least, i) => Math.min(least, i.token), Number.MAX_SAFE_INTEGER),
    before: before.length,
    after: after.length,
  };
}

async function waitFor(what: string, until: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!until()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

describe('lease tokens across a Sentinel failover', () => {
  it('kill -9 of the master: no token is issued again; every token after the failover is above every token before; a confirmed lease survives', async () => {
    const confirmedStore = await openStore('replica');
    const confirmed = new TokenLoop('replica', confirmedStore);
    const plain = new TokenLoop('none', await openStore('none'));

    // A lease confirmed by the replica before the kill, held across it.
    const heldId = randomId('held');
    await confirmedStore.create({ id: heldId, type: 'leased', state: { n: 0 } });
    const held = await confirmedStore.acquireLease(heldId, { owner: 'across-failover', ttlMs: 60_000 });

    await confirmed.start();
    await plain.start();
    await sleep(1500);
    const old = await setup.currentMaster();
    const killedAt = Date.now();
    confirmed.killedAt = killedAt;
    plain.killedAt = killedAt;
    await old.kill9();
    await setup.waitForNewMaster(old, 20_000);
    const promotedAt = Date.now();
    // The old master comes back (it has the AOF of before the kill) and Sentinel makes it a replica: replica
    // durability confirms writes again only then.
    await old.restart();
    await waitFor('both loops acquiring again after the failover', () => confirmed.firstAfter(promotedAt) !== undefined && plain.firstAfter(promotedAt) !== undefined, 60_000);
    await sleep(1500);
    await confirmed.stop();
    await plain.stop();

    // The confirmed lease is still there, with its token.
    const afterFailover = {
      withoutToken: await confirmedStore.save(heldId, { state: { n: 1 } }).then(
        () => 'accepted',
        (error: Error) => error.name,
      ),
      withToken: (await confirmedStore.save(heldId, { state: { n: 2 } }, { leaseToken: held.token })).version,
      otherAcquire: await confirmedStore.acquireLease(heldId, { owner: 'other', ttlMs: 1000 }).then(
        () => 'acquired',
        (error: Error) => error.name,
      ),
    };
    await confirmedStore.releaseLease(heldId, held.token);
    const next = await confirmedStore.acquireLease(heldId, { owner: 'after', ttlMs: 1000 });

    const summaries = [confirmed, plain].map((loop) => ({ loop, order: orderViolations(loop), reissue: reissued(loop, killedAt, promotedAt) }));
    for (const { loop, reissue } of summaries) {
      console.log(
        `leases over failover (${loop.name}): ${loop.issued.length} tokens, ${reissue.before} before the kill (max ${reissue.maxBefore}), ` +
          `${reissue.after} after the failover (min ${reissue.minAfter}); failover ${promotedAt - killedAt} ms; tolerated ${JSON.stringify(Object.fromEntries(loop.tolerated))}`,
      );
    }
    for (const { loop, order, reissue } of summaries) {
      expect({ loop: loop.name, unexpected: loop.unexpected }).toEqual({ loop: loop.name, unexpected: [] });
      expect({ loop: loop.name, order }).toEqual({ loop: loop.name, order: [] });
      expect({ loop: loop.name, reissued: reissue.perWorkflow }).toEqual({ loop: loop.name, reissued: [] });
      expect(reissue.before).toBeGreaterThan(WORKFLOWS * 5);
      expect(reissue.after).toBeGreaterThan(WORKFLOWS);
      expect(reissue.minAfter).toBeGreaterThan(reissue.maxBefore);
      // Every token is unique over the whole run.
      expect(new Set(loop.issued.map((i) => `${i.id} ${i.token}`)).size).toBe(loop.issued.length);
    }
    expect(afterFailover).toEqual({ withoutToken: 'LeaseHeldError', withToken: 2, otherAcquire: 'LeaseHeldError' });
    expect(next.token).toBeGreaterThan(held.token);
  }, 150_000);
});
