/**
 * The Sentinel client never gives up reconnecting on its own (1 master, 1 replica, 3 Sentinels).
 * - R1 a +switch-master that arrives while the client is asking a Sentinel for the master (the usual moment: the
 *   master has just died and the client is reconnecting) must not end the client. In ioredis 6.0.0 it did: the
 *   failover detector's disconnect aborted the attempt and the client went to status `end` for good (CI: the
 *   store answered "Redis connection is end" after a failover). Made deterministic: one Sentinel is stopped, so
 *   the client's first question hangs for its Sentinel timeout, and the message is published then on a plain
 *   redis-server that the client also watches as a Sentinel (the detector only looks at the channel).
 * - R2 a close the caller asks for while the client is asking the Sentinels still ends it (no reconnect after).
 * - R3 every Sentinel unreachable for longer than the reconnect backoff ever waits: the store answers 503 meanwhile
 *   and serves again by itself once they answer.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { createStoreClient, createWorkflowStore, loadWorkflowStoreConfig, StoreUnavailableError, type ValidatingWorkflowStore } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { RedisSentinelSetup } from '../support/redis-sentinel.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let setup: RedisSentinelSetup;
/** A plain redis-server listed as a fourth "Sentinel": the test publishes +switch-master on it. */
let fake: RedisServer;

beforeAll(async () => {
  setup = await RedisSentinelSetup.start();
  fake = await RedisServer.start({ appendonly: false });
}, 60_000);
afterAll(async () => {
  for (const sentinel of setup?.sentinels ?? []) sentinel.resume();
  await fake?.stop();
  await setup?.stop();
});

function env(): Record<string, string> {
  return {
    USE_REDIS: 'true',
    // The real Sentinels first (the client asks them in this order), the plain server last.
    REDIS_SENTINELS: `${setup.sentinelList},127.0.0.1:${fake.port}`,
    REDIS_SENTINEL_NAME: setup.name,
    REDIS_KEY_PREFIX: randomPrefix(),
  };
}

/** Drops the store's connections (name workflow-store) on `master`, which stays up. */
async function killStoreConnections(master: RedisServer): Promise<number> {
  const list = String(await master.command('CLIENT', 'LIST'));
  const ids = list
    .split('\n')
    .filter((line) => line.split(' ').includes('name=workflow-store'))
    .map((line) => /\bid=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
  for (const id of ids) await master.command('CLIENT', 'KILL', 'ID', id);
  return ids.length;
}

async function waitFor(what: string, until: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await until()) return;
    await sleep(25);
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

/** Resolves at the client's next `status` change to `status`. */
function nextStatus(client: Redis, status: string): Promise<void> {
  return new Promise((resolve) => {
    const onStatus = (): void => {
      if (client.status !== status) return;
      for (const event of ['connecting', 'reconnecting', 'end', 'close', 'ready', 'connect']) client.off(event, onStatus);
      resolve();
    };
    for (const event of ['connecting', 'reconnecting', 'end', 'close', 'ready', 'connect']) client.on(event, onStatus);
  });
}

describe('Sentinel client reconnects', () => {
  it('R1/R2: a +switch-master while it asks the Sentinels does not end it; a close asked for meanwhile does', async () => {
    const options = loadWorkflowStoreConfig(env()).redis;
    const client = createStoreClient(options) as Redis;
    const statuses: string[] = [];
    for (const event of ['connecting', 'connect', 'ready', 'close', 'reconnecting', 'end']) client.on(event, () => statuses.push(event));
    client.on('error', () => undefined); // "All sentinels are unreachable…" while one is stopped: expected
    const [first] = setup.sentinels as [RedisServer];
    try {
      await client.connect();
      // The failover detector subscribes on every Sentinel it knows once the master connection is up.
      await waitFor('detector subscribed on the plain server', async () => ((await fake.command('PUBSUB', 'NUMSUB', '+switch-master')) as [string, number])[1] === 1, 5000);

      // R1: the client's next question goes to the first Sentinel (the one it used), which now answers nothing.
      const master = await setup.currentMaster();
      first.pause();
      const connecting = nextStatus(client, 'connecting');
      expect(await killStoreConnections(master)).toBe(1);
      await connecting;
      statuses.length = 0;
      await sleep(300); // well inside the 1000 ms Sentinel command timeout of that question
      const receivers = await fake.command('PUBLISH', '+switch-master', `${setup.name} 127.0.0.1 1 127.0.0.1 2`);
      const published = Date.now();
      await waitFor('client ready again (or ended)', () => client.status === 'ready' || client.status === 'end', 15_000).catch(() => undefined);
      const r1 = `R1: +switch-master to ${String(receivers)} subscriber(s) while asking a stopped Sentinel; then ${statuses.join(' → ')}; status ${client.status} after ${Date.now() - published} ms`;
      console.log(r1);
      first.resume();
      expect(receivers).toBe(1);
      expect(statuses).not.toContain('end');
      expect(client.status).toBe('ready');
      expect(await client.ping()).toBe('PONG');

      // R2: every Sentinel stopped, so the client is surely asking one when +switch-master comes and then the caller
      // closes it: the close wins.
      await waitFor('new detector subscribed', async () => ((await fake.command('PUBSUB', 'NUMSUB', '+switch-master')) as [string, number])[1] === 1, 5000);
      for (const sentinel of setup.sentinels) sentinel.pause();
      const again = nextStatus(client, 'connecting');
      await killStoreConnections(master);
      await again;
      await sleep(300);
      statuses.length = 0;
      expect(await fake.command('PUBLISH', '+switch-master', `${setup.name} 127.0.0.1 1 127.0.0.1 2`)).toBe(1);
      // The detector has acted once it has dropped its subscriptions.
      await waitFor('detector acted', async () => ((await fake.command('PUBSUB', 'NUMSUB', '+switch-master')) as [string, number])[1] === 0, 600);
      client.disconnect();
      for (const sentinel of setup.sentinels) sentinel.resume();
      await sleep(3000); // longer than the Sentinel timeout plus the longest reconnect delay
      console.log(`R2: +switch-master, then closed while asking the Sentinels; then ${statuses.join(' → ')}; status ${client.status}`);
      expect(client.status).toBe('end');
      expect(statuses).not.toContain('ready');
    } finally {
      for (const sentinel of setup.sentinels) sentinel.resume();
      client.disconnect();
    }
  }, 60_000);

  it('R3: every Sentinel unreachable for 6 s — 503 meanwhile, then it serves again by itself', async () => {
    await setup.waitUntilSettled(30_000);
    const store: ValidatingWorkflowStore = createWorkflowStore(loadWorkflowStoreConfig(env()), quietLogger());
    try {
      await store.connect();
      const id = randomId('r3');
      await store.create({ id, type: 'r3', state: { a: 1 } });

      const master = await setup.currentMaster();
      for (const sentinel of setup.sentinels) sentinel.pause();
      const outageAt = Date.now();
      expect(await killStoreConnections(master)).toBeGreaterThanOrEqual(1);
      const answers = new Map<string, number>();
      while (Date.now() - outageAt < 6000) {
        try {
          await store.get(id);
          answers.set('ok', (answers.get('ok') ?? 0) + 1);
        } catch (error) {
          const name = error instanceof StoreUnavailableError ? 'StoreUnavailable' : `${(error as Error).name}: ${(error as Error).message}`;
          answers.set(name, (answers.get(name) ?? 0) + 1);
        }
        await sleep(100);
      }
      for (const sentinel of setup.sentinels) sentinel.resume();
      const resumedAt = Date.now();
      let servedAfter: number | undefined;
      let last = '';
      while (Date.now() - resumedAt < 15_000) {
        try {
          if ((await store.get(id))?.state) {
            servedAfter = Date.now() - resumedAt;
            break;
          }
        } catch (error) {
          last = (error as Error).message;
        }
        await sleep(50);
      }
      console.log(`R3: answers during the 6 s without Sentinels ${JSON.stringify(Object.fromEntries(answers))}; served again ${String(servedAfter)} ms after they answered (last error: ${last || 'none'})`);
      expect([...answers.keys()]).toEqual(['StoreUnavailable']);
      expect(servedAfter).toBeDefined();
    } finally {
      for (const sentinel of setup.sentinels) sentinel.resume();
      await store.close();
    }
  }, 60_000);
});
