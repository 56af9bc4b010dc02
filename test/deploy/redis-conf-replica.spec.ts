/**
 * REDIS_DURABILITY=replica with the repository's redis.conf: a master started with the shipped file (only the
 * password placeholder, port, bind and dir set, as a deployer would) and a replica started with the same file plus
 * `replicaof`. The store, logged in as the service user `wfstore`, runs every operation with each write confirmed
 * by `WAIT 1` (nothing is 503 / outcome-unknown), follows the change feed (a second store as `wfstore` watches; a
 * third resumes from the first event, reading the shard streams) and reads history, and every command it sent -
 * seen with MONITOR, including the commands inside its scripts and on the feed's subscriber connection - is allowed
 * to `wfstore` (ACL DRYRUN), with nothing in the ACL log. Under the user as it was before it got +wait +hgetall
 * +hsetnx, exactly those commands are refused; without the change-feed rules, exactly the feed's commands; without
 * its channels (&wfs:*), exactly SPUBLISH and SSUBSCRIBE. With the replica stopped, a write is OutcomeUnknownError,
 * never a success.
 *
 * redis.conf has no user a replica can log in as (the default user is off), so the master gets a replication user
 * on the command line, with only what a Redis 7.0 replica sends: PING, REPLCONF, PSYNC (AUTH is always allowed).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createWorkflowStore, loadWorkflowStoreConfig, OutcomeUnknownError, type ValidatingWorkflowStore } from '#workflow-store';
import type { RedisStorageBackend } from '../../libs/workflow-store/src/redis/redis-storage.backend.js';
import { layoutOf } from '../support/redis-layout.js';
import { FeedRecorder } from '../fault/change-feed.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId } from '../support/random-ids.js';
import { REPO_REDIS_CONF, SERVICE_USER, startProductionRedis, type ProductionRedis } from '../support/repo-redis-conf.js';

const REPLICATION_USER = 'replicator';
/** What the ACL of `wfstore` gained for storage format v2 and REDIS_DURABILITY=replica. */
const ADDED_FOR_V2 = ['+wait', '+hgetall', '+hsetnx'];
/**
 * What it gained for the change feed, the history and leases (inside the scripts, and the feed reader); zscore: a
 * new life of an id first records the expiry of the previous one, if the sweep has not yet.
 */
const ADDED_FOR_FEED = ['+hkeys', '+hlen', '+xadd', '+xtrim', '+xrange', '+xinfo|stream', '+spublish', '+ssubscribe', '+sunsubscribe', '+zscore'];
/** Commands those rules allow, as commandName() names them. */
// HLEN stays granted (ADDED_FOR_FEED) for scripts of an earlier release during a rolling upgrade; today's scripts
// bound the history with one HDEL of two versions instead, so a run need not send it.
const FEED_COMMANDS = ['hkeys', 'spublish', 'ssubscribe', 'xadd', 'xinfo', 'xrange', 'xtrim', 'zscore'];

/** One command as MONITOR reported it: where from (`127.0.0.1:<port>`, or `lua` inside a script) and its arguments. */
interface Monitored {
  source: string;
  args: string[];
}

/** Arguments of a MONITOR line, quoted and escaped by Redis (sdscatrepr): `"get" "a\"b" "\x00"`. */
function parseMonitorArgs(text: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === ' ') {
      i++;
      continue;
    }
    if (text[i] !== '"') throw new Error(`unexpected MONITOR line: ${text}`);
    i++;
    let arg = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        const next = text[i + 1];
        if (next === 'x') {
          arg += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        arg += ({ n: '\n', r: '\r', t: '\t', a: '\u0007', b: '\b' } as Record<string, string>)[next as string] ?? next;
        i += 2;
        continue;
      }
      arg += text[i];
      i++;
    }
    i++; // the closing quote
    args.push(arg);
  }
  return args;
}

/**
 * MONITOR over a plain socket, so every line is parsed exactly (ioredis' monitor mode splits arguments on `" "`).
 * `until` waits for a command to show up: a marker sent after the commands of interest, as a barrier.
 */
class Monitor {
  readonly seen: Monitored[] = [];
  private buffer = '';
  private waiters: { match: (m: Monitored) => boolean; resolve: () => void }[] = [];

  private constructor(private readonly socket: Socket) {}

  static async open(port: number, auth: { username: string; password: string }): Promise<Monitor> {
    const socket = connect({ host: '127.0.0.1', port });
    const monitor = new Monitor(socket);
    await new Promise<void>((resolve, reject) => {
      let oks = 0;
      const onError = (error: Error): void => reject(error);
      socket.once('error', onError);
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        monitor.buffer += chunk;
        let end: number;
        while ((end = monitor.buffer.indexOf('\r\n')) >= 0) {
          const line = monitor.buffer.slice(0, end);
          monitor.buffer = monitor.buffer.slice(end + 2);
          if (oks < 2) {
            if (line !== '+OK') return reject(new Error(`MONITOR set-up answered ${line}`));
            if (++oks === 2) {
              socket.off('error', onError);
              resolve();
            }
            continue;
          }
          monitor.add(line);
        }
      });
      const resp = (...parts: string[]): string => `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
      socket.write(resp('AUTH', auth.username, auth.password) + resp('MONITOR'));
    });
    socket.on('error', () => undefined); // closed by close(); nothing is read after that
    return monitor;
  }

  /** Resolves once a command matching `match` was monitored (or already was). */
  until(match: (m: Monitored) => boolean, timeoutMs: number): Promise<void> {
    if (this.seen.some(match)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`MONITOR did not show the command within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private add(line: string): void {
    // +1700000000.123456 [0 127.0.0.1:54321] "evalsha" "…" …    (or [0 lua] for a command run by a script)
    // A line this parser does not understand is kept whole under source "?": the test then fails showing it.
    const match = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] (.*)$/.exec(line);
    let entry: Monitored = { source: '?', args: [line] };
    try {
      if (match) entry = { source: match[1] as string, args: parseMonitorArgs(match[2] as string) };
    } catch {
      // kept whole
    }
    this.seen.push(entry);
    for (const waiter of this.waiters.filter((w) => w.match(entry))) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}

/** `client setname` for commands with subcommands that the ACL tells apart, else the command, lowercase. */
function commandName(args: string[]): string {
  const name = (args[0] ?? '').toLowerCase();
  return name === 'client' || name === 'config' ? `${name}|${(args[1] ?? '').toLowerCase()}` : name;
}

/** The field values of a `CLIENT LIST` / `CLIENT INFO` line. */
function clientFields(line: string): Map<string, string> {
  return new Map(line.trim().split(' ').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)] as [string, string]));
}

/** The rejection of `promise`; fails the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

describe('REDIS_DURABILITY=replica with the shipped redis.conf (master + replica), the store as its service user', () => {
  let master: ProductionRedis | undefined;
  let replica: ProductionRedis | undefined;
  let admin: Redis | undefined;
  let monitor: Monitor | undefined;
  const stores: ValidatingWorkflowStore[] = [];

  const m = (): ProductionRedis => master as ProductionRedis;
  const r = (): ProductionRedis => replica as ProductionRedis;
  const adm = (): Redis => admin as Redis;

  const storeAsService = async (): Promise<ValidatingWorkflowStore> => {
    const store = createWorkflowStore(
      loadWorkflowStoreConfig({
        USE_REDIS: 'true',
        REDIS_URL: m().server.url,
        REDIS_USERNAME: SERVICE_USER,
        REDIS_PASSWORD: m().password,
        REDIS_DURABILITY: 'replica', // WAIT 1 within REDIS_REPLICA_ACK_TIMEOUT_MS (default 250 ms) after every write
        REDIS_PERSISTENCE_CHECK: 'strict',
        REDIS_PURGE_INTERVAL_MS: '0',
      }),
      quietLogger(),
    );
    stores.push(store);
    await store.connect();
    return store;
  };

  /** Until the master lists the replica as online and the replica's link is up (its first sync done). */
  const waitForReplica = async (timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const onMaster = String(await adm().info('replication'));
      const onReplica = String(await r().server.command('INFO', 'replication'));
      if (/^slave0:.*state=online/m.test(onMaster) && /^master_link_status:up\r?$/m.test(onReplica)) return;
      last = `${onMaster}\n${onReplica}`;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the replica did not sync within ${timeoutMs} ms:\n${last}\nreplica log:\n${readFileSync(r().server.logPath, 'utf8').slice(-2000)}`);
  };

  beforeAll(async () => {
    const replication = { username: REPLICATION_USER, password: randomBytes(16).toString('hex') };
    master = await startProductionRedis(undefined, undefined, [
      '--user', replication.username, 'on', `>${replication.password}`, 'resetchannels', '-@all', '+psync', '+replconf', '+ping',
    ]);
    admin = new Redis({ port: master.server.port, host: '127.0.0.1', username: master.admin.username, password: master.admin.password, lazyConnect: true });
    await admin.connect();
    // The replica runs the shipped file too; its own service password is irrelevant (the store never connects to it).
    replica = await startProductionRedis(undefined, undefined, [
      '--replicaof', '127.0.0.1', String(master.server.port),
      '--masteruser', replication.username,
      '--masterauth', replication.password,
    ]);
    // redis.conf keeps Redis 7's repl-diskless-sync-delay of 5 s: the first sync takes that long.
    const started = Date.now();
    await waitForReplica(20_000);
    console.log(`replica in sync ${Date.now() - started} ms after it started`);
  }, 40_000);

  afterAll(async () => {
    try {
      monitor?.close();
      for (const store of stores) await store.close();
      admin?.disconnect();
    } finally {
      await replica?.server.stop();
      await master?.server.stop();
    }
  });

  it('lets wfstore send WAIT, and read and create the format record (ACL DRYRUN)', async () => {
    expect(await adm().call('ACL', 'DRYRUN', SERVICE_USER, 'WAIT', '1', '100')).toBe('OK');
    expect(await adm().call('ACL', 'DRYRUN', SERVICE_USER, 'HGETALL', 'wfs:format')).toBe('OK');
    expect(await adm().call('ACL', 'DRYRUN', SERVICE_USER, 'HSETNX', 'wfs:format', 'acme', '{}')).toBe('OK');
  });

  it('runs every operation with each write confirmed by the replica; every command sent is allowed to wfstore', async () => {
    monitor = await Monitor.open(m().server.port, m().admin);
    await adm().call('ACL', 'LOG', 'RESET');

    const store = await storeAsService(); // boot: INFO, the format record (HGETALL, HGET, EXISTS, HSETNX)
    const backend = store.backend as RedisStorageBackend;
    const type = randomId('dur');
    // The change feed as the service user: a subscriber connection (SSUBSCRIBE, PING) and XRANGE on the streams.
    const watcher = await storeAsService();
    const recorder = new FeedRecorder(await watcher.watch({ type }));
    const a = await store.create({ id: randomId('a'), type, state: { n: 1 } }, { operationId: 'op-create' });
    expect(a.version).toBe(1);
    // A replay is confirmed too: SET of the shard's scratch key, then WAIT.
    expect((await store.create({ id: a.id, type, state: { n: 1 } }, { operationId: 'op-create' })).version).toBe(1);
    expect((await store.save(a.id, { status: 'review', state: { n: 2 } }, { expectedVersion: 1 })).version).toBe(2);
    expect((await store.update(a.id, { state: { m: 3 } }, { operationId: 'op-update' })).version).toBe(3);
    expect((await store.mutate(a.id, (current) => ({ state: { ...current.state, mutated: true } }))).version).toBe(4);
    expect((await store.touch(a.id, { ttlSeconds: 600 })).version).toBe(4);
    const b = await store.save(randomId('b'), { type, state: {} });
    expect((await store.list({ type })).items.map((w) => w.id).sort()).toEqual([a.id, b.id].sort());
    expect(await store.count()).toBe(2);
    expect(await store.delete(b.id, { operationId: 'op-delete' })).toEqual({ id: b.id, version: 1 });
    const now = Date.now();
    const restored = { id: randomId('r'), type, status: 'restored', state: { r: 1 }, version: 5, createdAt: new Date(now - 1000).toISOString(), updatedAt: new Date(now).toISOString(), expiresAt: new Date(now + 60_000).toISOString(), ttlSeconds: 60 };
    expect(await store.restore(restored)).toBe('written');
    const tenant = store.forTenant('acme'); // a tenant's first use writes its format record
    const t = await tenant.create({ type, state: { tenant: true } });
    expect(await store.get(a.id)).toMatchObject({ version: 4, status: 'review', state: { n: 2, m: 3, mutated: true } });
    // A lease's whole cycle (its own type, so the watch below does not see it): acquire, a fenced write, renew,
    // release, and the lease sweep of its shard.
    const leased = await store.create({ id: randomId('l'), type: `${type}-lease`, state: {} });
    const lease = await store.acquireLease(leased.id, { owner: 'deploy-test', ttlMs: 60_000 });
    expect((await store.update(leased.id, { state: { fenced: true } }, { leaseToken: lease.token })).version).toBe(2);
    await store.renewLease(leased.id, lease.token, 60_000);
    await store.releaseLease(leased.id, lease.token);
    await backend.expireLeases(layoutOf('wfs').shardOf(leased.id));
    await backend.purgeExpired();
    await store.ping();

    // The watch saw every write of `type` (the replayed create and the unknown-free run: each once), in order.
    const expected = [
      ['created', a.id, 1], ['updated', a.id, 2], ['updated', a.id, 3], ['updated', a.id, 4], ['touched', a.id, 4],
      ['created', b.id, 1], ['deleted', b.id, 1], ['restored', restored.id, 5],
    ];
    const summary = (events: readonly { op: string; id: string; version: number }[]): unknown[] => events.map((e) => [e.op, e.id, e.version]);
    try {
      await recorder.waitFor((rec) => rec.events.length >= expected.length, 10_000);
      expect(recorder.error).toBeUndefined();
      expect(summary(recorder.events)).toEqual(expected);
    } finally {
      await recorder.close();
    }
    // History (HKEYS, HGET in history-2.lua) and a resume that reads the streams (XINFO STREAM, XRANGE).
    expect((await store.history(a.id))?.versions.map((v) => v.version)).toEqual([4, 3, 2, 1]);
    expect((await store.getVersion(a.id, 2))?.status).toBe('review');
    const resumed = new FeedRecorder(await (await storeAsService()).watch({ type }, { after: (recorder.events[0] as { eventId: string }).eventId }));
    try {
      await resumed.waitFor((rec) => rec.events.length >= expected.length - 1, 10_000);
      expect(summary(resumed.events)).toEqual(expected.slice(1));
    } finally {
      await resumed.close();
    }

    // Confirmed means on the replica: the same bytes there, and b gone there too.
    const replicaGet = async (key: string): Promise<unknown> => r().server.command('GET', key);
    for (const key of [layoutOf('wfs').record(a.id), layoutOf('wfs').record(restored.id), layoutOf('wfs', 'acme').record(t.id)]) {
      const onMaster = await adm().get(key);
      expect(onMaster).not.toBeNull();
      expect(await replicaGet(key)).toBe(onMaster);
    }
    expect(await replicaGet(layoutOf('wfs').record(b.id))).toBeNull();

    // Everything the store sent (its connections, and the scripts it ran), up to a marker sent after it.
    const marker = randomId('marker');
    await adm().echo(marker);
    await monitor.until((entry) => entry.args[0]?.toLowerCase() === 'echo' && entry.args[1] === marker, 5000);
    const adminAddr = clientFields(String(await adm().call('CLIENT', 'INFO'))).get('addr');
    const users = new Map(
      String(await adm().call('CLIENT', 'LIST'))
        .trim()
        .split('\n')
        .map((line) => clientFields(line))
        .map((f) => [f.get('addr'), f.get('user')] as const),
    );
    const sent = monitor.seen.slice(0, monitor.seen.findIndex((entry) => entry.args[1] === marker)).filter((entry) => entry.source !== adminAddr);
    expect([...new Set(sent.filter((e) => e.source !== 'lua').map((e) => users.get(e.source)))]).toEqual([SERVICE_USER]);

    const distinct = [...new Map(sent.map((e) => [JSON.stringify(e.args), e.args])).values()];
    const dryRun = async (user: string, args: string[]): Promise<string> => String(await adm().call('ACL', 'DRYRUN', user, ...(args as [string, ...string[]])));
    const refused: string[] = [];
    for (const args of distinct) {
      const answer = await dryRun(SERVICE_USER, args);
      if (answer !== 'OK') refused.push(`${args.slice(0, 3).join(' ')}: ${answer}`);
    }
    const names = [...new Set(sent.map((e) => commandName(e.args)))].sort();
    const byScripts = [...new Set(sent.filter((e) => e.source === 'lua').map((e) => commandName(e.args)))].sort();
    console.log(`wfstore sent ${sent.length} commands (${distinct.length} distinct): ${names.join(' ')}; inside scripts: ${byScripts.join(' ')}`);
    expect(refused).toEqual([]);
    expect(await adm().call('ACL', 'LOG')).toEqual([]); // nothing was refused while it ran, inside scripts either
    // The run did exercise what the v2 additions are for.
    expect(names).toEqual(expect.arrayContaining(['wait', 'hgetall', 'hsetnx', 'hget', 'exists', 'set', 'evalsha', 'time', 'zcount', 'zrangebylex', 'get', 'info', 'ping', ...FEED_COMMANDS]));
    expect(byScripts).toEqual(expect.arrayContaining(['xadd', 'xtrim', 'spublish', 'hkeys', 'zscore']));
    // The watch closed only lingers (its SUNSUBSCRIBE comes a minute later): checked on its own.
    expect(await dryRun(SERVICE_USER, ['SUNSUBSCRIBE', layoutOf('wfs').shard(0).notice])).toBe('OK');

    // The user as it was before +wait +hgetall +hsetnx (the shipped line without them) refuses exactly those.
    const shipped = readFileSync(REPO_REDIS_CONF, 'utf8').split('\n').find((line) => line.startsWith(`user ${SERVICE_USER} `)) as string;
    const rules = shipped.split(/\s+/).slice(2).filter((rule) => rule !== 'on' && !rule.startsWith('#') && !rule.startsWith('>'));
    expect(rules).toEqual(expect.arrayContaining(ADDED_FOR_V2));
    expect(rules).toEqual(expect.arrayContaining([...ADDED_FOR_FEED, '&wfs:*']));
    /** The commands of the run that `rules` refuse (a throwaway user with exactly those rules). */
    const refusedUnder = async (name: string, userRules: string[]): Promise<string[]> => {
      await adm().call('ACL', 'SETUSER', name, 'reset', ...userRules);
      try {
        const refusedHere = new Set<string>();
        for (const args of distinct) if ((await dryRun(name, args)) !== 'OK') refusedHere.add(commandName(args));
        return [...refusedHere].sort();
      } finally {
        await adm().call('ACL', 'DELUSER', name);
      }
    };
    expect(await refusedUnder('wfstore-before-v2', rules.filter((rule) => !ADDED_FOR_V2.includes(rule)))).toEqual(['hgetall', 'hsetnx', 'wait']);
    expect(await refusedUnder('wfstore-before-feed', rules.filter((rule) => !ADDED_FOR_FEED.includes(rule)))).toEqual(FEED_COMMANDS);
    expect(await refusedUnder('wfstore-no-channels', rules.filter((rule) => rule !== '&wfs:*'))).toEqual(['spublish', 'ssubscribe']);
  }, 30_000);

  it('reports a write made while the replica is stopped as OutcomeUnknownError, never as a success', async () => {
    const store = await storeAsService();
    const type = randomId('down');
    const a = await store.create({ id: randomId('a'), type, state: { n: 1 } });

    // Paused (SIGSTOP): connected, but acknowledges nothing. The write is applied on the master, unconfirmed.
    r().server.pause();
    try {
      expect(await rejectionOf(store.update(a.id, { state: { n: 2 } }, { operationId: 'op-paused' }))).toBeInstanceOf(OutcomeUnknownError);
      expect((await store.get(a.id))?.version).toBe(2);
    } finally {
      r().server.resume();
    }
    // Retried with the same key once the replica is back: the replay is confirmed, and reported.
    expect((await store.update(a.id, { state: { n: 2 } }, { operationId: 'op-paused' })).version).toBe(2);

    // Killed: every kind of write is outcome-unknown; reads still answer.
    await r().server.kill9();
    const writes: [string, () => Promise<unknown>][] = [
      ['create', () => store.create({ id: randomId('c'), type, state: {} })],
      ['save', () => store.save(a.id, { state: { n: 3 } })],
      ['update', () => store.update(a.id, { state: { n: 4 } })],
      ['touch', () => store.touch(a.id, { ttlSeconds: 300 })],
      ['delete', () => store.delete(a.id)],
    ];
    for (const [name, write] of writes) {
      const error = await rejectionOf(write());
      expect([name, error]).toEqual([name, expect.any(OutcomeUnknownError)]);
    }
    // Each was applied on the master (delete last): only the confirmation is missing.
    expect(await store.get(a.id)).toBeNull();
  }, 30_000);
});
