import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from './redis-server.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface RedisSentinelOptions {
  /** Master group name; default `wfs-master`. */
  name?: string;
  /** `down-after-milliseconds`; default 1000. */
  downAfterMs?: number;
  /** `failover-timeout`; default 5000. */
  failoverTimeoutMs?: number;
}

/**
 * A private Sentinel topology: 1 master, 1 replica, 3 Sentinels (quorum 2), all RedisServer processes (free ports,
 * own dirs, pids in the kill-at-exit registry). `start()` resolves once the replica's link is up and every Sentinel
 * knows the replica and the other two Sentinels.
 */
export class RedisSentinelSetup {
  private constructor(
    readonly name: string,
    /** The two data nodes; which one is master changes with failovers (see `currentMaster()`). */
    readonly nodes: RedisServer[],
    readonly sentinels: RedisServer[],
    private readonly confDir: string,
  ) {}

  static async start(options: RedisSentinelOptions = {}): Promise<RedisSentinelSetup> {
    const name = options.name ?? 'wfs-master';
    const confDir = mkdtempSync(join(tmpdir(), 'wfs-sentinel-conf-'));
    const setup = new RedisSentinelSetup(name, [], [], confDir);
    try {
      const master = await RedisServer.start();
      setup.nodes.push(master);
      setup.nodes.push(await RedisServer.start({ args: ['--replicaof', '127.0.0.1', String(master.port)] }));
      for (let i = 0; i < 3; i++) {
        // Sentinel rewrites its config file, so each gets a writable one of its own.
        const file = join(confDir, `sentinel-${i}.conf`);
        writeFileSync(
          file,
          [
            `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
            `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
            `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 5000}`,
            `sentinel parallel-syncs ${name} 1`,
            '',
          ].join('\n'),
        );
        setup.sentinels.push(await RedisServer.start({ configFile: file, args: ['--sentinel'] }));
      }
      await setup.waitUntilSettled(30_000);
    } catch (error) {
      await setup.stop();
      throw error;
    }
    return setup;
  }

  /** `REDIS_SENTINELS`. */
  get sentinelList(): string {
    return this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
  }

  /** The data node the Sentinels currently name as master. */
  async currentMaster(): Promise<RedisServer> {
    const reply = (await this.askSentinel('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name)) as string[];
    const node = this.nodes.find((n) => n.port === Number(reply[1]));
    if (!node) throw new Error(`Sentinels name ${reply.join(':')} as master, which is not one of this setup's nodes`);
    return node;
  }

  /** Resolves once `node` is a replica of the named master with its link up. */
  async waitForReplica(node: RedisServer, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const info = String(await node.command('INFO', 'replication'));
        if (info.includes('role:slave') && info.includes('master_link_status:up')) return;
        last = /role:\w+/.exec(info)?.[0] ?? info;
      } catch (error) {
        last = (error as Error).message;
      }
      await sleep(100);
    }
    throw new Error(`redis-server ${node.port} not an in-sync replica within ${timeoutMs} ms: ${last}; Sentinels saw: ${await this.sentinelView(node)}`);
  }

  /**
   * Each Sentinel's view of `node` and of the master it names: the master's port, flags and failover state, the
   * replicas it knows (port:flags; `node` missing means Sentinel does not watch it, so it will never convert it),
   * and whether it is in TILT. Sentinel converts a returning old master only after it has reported its role for 8 s
   * and on its next INFO poll (every 10 s), and not at all while in TILT (entered when its timer runs late by 2 s,
   * as on a loaded machine, for 30 s).
   */
  async sentinelView(node: RedisServer): Promise<string> {
    const field = (entry: string[], name: string): string => (entry.includes(name) ? (entry[entry.indexOf(name) + 1] ?? '?') : '-');
    const views = await Promise.all(
      this.sentinels.map(async (sentinel) => {
        try {
          const master = (await sentinel.command('SENTINEL', 'MASTER', this.name)) as string[];
          const replicas = (await sentinel.command('SENTINEL', 'REPLICAS', this.name)) as string[][];
          const entry = replicas.find((r) => field(r, 'port') === String(node.port));
          const tilt = /sentinel_tilt:(\d)/.exec(String(await sentinel.command('INFO', 'sentinel')))?.[1];
          return (
            `:${sentinel.port} flags=${entry ? field(entry, 'flags') : 'unknown'} tilt=${tilt ?? '?'} ` +
            `master=:${field(master, 'port')} (${field(master, 'flags')}, ${field(master, 'failover-state')}, epoch ${field(master, 'config-epoch')}) ` +
            `replicas=[${replicas.map((r) => `${field(r, 'port')}:${field(r, 'flags')}`).join(' ')}]`
          );
        } catch (error) {
          return `:${sentinel.port} ${(error as Error).message}`;
        }
      }),
    );
    let role: string;
    try {
      const info = String(await node.command('INFO', 'replication'));
      role = [/role:\w+/, /master_port:\d+/, /master_link_status:\w+/].map((re) => re.exec(info)?.[0]).filter(Boolean).join(' ');
    } catch (error) {
      role = (error as Error).message;
    }
    return `${views.join('; ')}; :${node.port} itself: ${role}`;
  }

  /**
   * Waits until the restarted old master `node` is an in-sync replica. Sentinel should convert it; if it has not
   * within `sentinelMs` (seen in CI: no Sentinel listed it at all after 60 s), the Sentinels' view is recorded and
   * it is made a replica of the current master by hand, as an operator would: the store is not what failed then,
   * and a test can go on checking it. `poll` runs before each check (e.g. to count connections to `node`).
   */
  async rejoinAsReplica(
    node: RedisServer,
    options: { sentinelMs: number; totalMs: number; poll?: () => Promise<void> },
  ): Promise<{ by: 'sentinel' | 'hand'; ms: number; view?: string }> {
    const started = Date.now();
    let view: string | undefined;
    while (Date.now() - started < options.totalMs) {
      await options.poll?.();
      try {
        const info = String(await node.command('INFO', 'replication'));
        if (info.includes('role:slave') && info.includes('master_link_status:up')) return { by: view ? 'hand' : 'sentinel', ms: Date.now() - started, view };
        if (!view && Date.now() - started >= options.sentinelMs && info.includes('role:master')) {
          view = await this.sentinelView(node);
          const master = await this.currentMaster();
          // Sentinels naming `node` itself as master: nothing to convert it to; the timeout below reports the view.
          if (master !== node) await node.command('REPLICAOF', '127.0.0.1', master.port);
        }
      } catch {
        // still starting
      }
      await sleep(25);
    }
    throw new Error(`redis-server ${node.port} not an in-sync replica within ${options.totalMs} ms; Sentinels saw: ${view ?? (await this.sentinelView(node))}`);
  }

  /** Replica link up, and every Sentinel knows the master, the replica and the two other Sentinels (quorum). */
  async waitUntilSettled(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const master = await this.currentMaster();
    const replica = this.nodes.find((n) => n !== master) as RedisServer;
    await this.waitForReplica(replica, timeoutMs);
    let last = '';
    while (Date.now() < deadline) {
      try {
        const states = await Promise.all(
          this.sentinels.map(async (s) => {
            const replicas = (await s.command('SENTINEL', 'REPLICAS', this.name)) as string[][];
            const others = (await s.command('SENTINEL', 'SENTINELS', this.name)) as unknown[];
            const upReplicas = replicas.filter((r) => {
              const flags = r[r.indexOf('flags') + 1] ?? '';
              return !flags.includes('down') && !flags.includes('disconnected');
            });
            return `${upReplicas.length}r/${others.length}s`;
          }),
        );
        last = states.join(' ');
        if (states.every((s) => s === '1r/2s')) {
          const quorum = String(await this.askSentinel('SENTINEL', 'CKQUORUM', this.name));
          if (quorum.startsWith('OK')) return;
          last = quorum;
        }
      } catch (error) {
        last = (error as Error).message;
      }
      await sleep(200);
    }
    throw new Error(`Sentinels not settled within ${timeoutMs} ms: ${last}`);
  }

  /** Resolves with the new master once the Sentinels name a node other than `old`. */
  async waitForNewMaster(old: RedisServer, timeoutMs: number): Promise<RedisServer> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        const master = await this.currentMaster();
        if (master !== old) return master;
      } catch {
        // a Sentinel may be busy; ask again
      }
      await sleep(50);
    }
    throw new Error(`no failover away from ${old.port} within ${timeoutMs} ms`);
  }

  async askSentinel(...args: (string | number)[]): Promise<unknown> {
    let lastError: unknown;
    for (const sentinel of this.sentinels) {
      if (sentinel.pid === undefined) continue;
      try {
        return await sentinel.command(...args);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError ?? new Error('no Sentinel is running');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sentinels, ...this.nodes].map((s) => s.stop()));
    rmSync(this.confDir, { recursive: true, force: true });
  }
}
