import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createWorkflowStore, loadWorkflowStoreConfig, type ValidatingWorkflowStore } from '#workflow-store';
import { freePorts } from './free-port.js';
import { quietLogger } from './quiet-logger.js';
import { RedisServer } from './redis-server.js';

const run = promisify(execFile);
const REDIS_CLI = process.env.REDIS_CLI_BIN ?? 'redis-cli';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface RedisClusterOptions {
  /** Default 3. */
  masters?: number;
  /** Replicas per master (`--cluster-replicas`); default 0. */
  replicas?: number;
  /** `cluster-node-timeout`; default 1000 ms, so a dead master is noticed quickly. */
  nodeTimeoutMs?: number;
  /** AOF on every node (`--appendonly`); default true. Off for tests that never restart a node. */
  appendonly?: boolean;
  /**
   * Start the servers all at once (on ports from freePorts(), distinct by construction) instead of one after the
   * other; default false. For large clusters: 20 servers one by one take 20 start-up round trips.
   */
  parallel?: boolean;
}

export interface ClusterNodeInfo {
  id: string;
  server: RedisServer;
  role: 'master' | 'replica';
  /** Inclusive slot ranges a master serves. */
  slots: [number, number][];
}

/**
 * A private Redis Cluster of RedisServer processes (each on a free port with a free cluster bus port, own dir, AOF
 * and nodes.conf kept for restarts), created with `redis-cli --cluster create`. Every server is a RedisServer, so
 * its pid is in the kill-at-exit registry and `stop()` ends them all.
 */
export class RedisCluster {
  private constructor(
    readonly servers: RedisServer[],
    private readonly nodeTimeoutMs: number,
  ) {}

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const total = (options.masters ?? 3) * (1 + (options.replicas ?? 0));
    const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
    const servers: RedisServer[] = [];
    const cluster = new RedisCluster(servers, nodeTimeoutMs);
    const args = (busPort: number): string[] => [
      '--cluster-enabled', 'yes',
      '--cluster-config-file', 'nodes.conf',
      '--cluster-node-timeout', String(nodeTimeoutMs),
      // Redis 7: an explicit bus port (the default port + 10000 may be taken or above 65535).
      '--cluster-port', String(busPort),
    ];
    const appendonly = options.appendonly ?? true;
    try {
      if (options.parallel) {
        const ports = await freePorts(2 * total);
        const started = await Promise.allSettled(
          Array.from({ length: total }, (_, i) => RedisServer.start({ appendonly, port: ports[2 * i] as number, args: args(ports[2 * i + 1] as number) })),
        );
        // Every server that did start is kept (and so stopped below), even when another failed.
        for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
        const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
        if (failed) throw failed.reason;
      } else {
        // Both ports from one freePorts() call: two freePort() calls can return the same port (seen in CI: the bus
        // port equal to the client port, and the server failed to bind it).
        for (let i = 0; i < total; i++) {
          const [port, busPort] = (await freePorts(2)) as [number, number];
          servers.push(await RedisServer.start({ appendonly, port, args: args(busPort) }));
        }
      }
      await cluster.cli(['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', String(options.replicas ?? 0), '--cluster-yes']);
      await cluster.waitUntilOk(20_000);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** `REDIS_CLUSTER_NODES`: every node as a seed. */
  get seeds(): string {
    return this.servers.map((s) => `127.0.0.1:${s.port}`).join(',');
  }
  /** A connected store on this cluster (REDIS_CLUSTER_NODES alone), under `prefix`; `env` adds or overrides settings. */
  async openStore(prefix: string, env: Record<string, string> = {}): Promise<ValidatingWorkflowStore> {
    const config = { USE_REDIS: 'true', REDIS_CLUSTER_NODES: this.seeds, REDIS_KEY_PREFIX: prefix, WORKFLOW_STATE_TTL: '600', ...env };
    const store = createWorkflowStore(loadWorkflowStoreConfig(config), quietLogger());
    await store.connect();
    return store;
  }


  /** Every node as `CLUSTER NODES` on `via` (default: the first running one) describes it. */
  async nodes(via?: RedisServer): Promise<ClusterNodeInfo[]> {
    const asker = via ?? this.servers.find((s) => s.pid !== undefined);
    if (!asker) throw new Error('no cluster node is running');
    const text = String(await asker.command('CLUSTER', 'NODES'));
    const nodes: ClusterNodeInfo[] = [];
    for (const line of text.trim().split('\n')) {
      const [id, address, flags, , , , , , ...slotFields] = line.split(' ');
      const port = Number(/:(\d+)@/.exec(address ?? '')?.[1]);
      const server = this.servers.find((s) => s.port === port);
      if (!id || !server) continue;
      const slots = slotFields
        .filter((f) => !f.startsWith('['))
        .map((f): [number, number] => {
          const [from, to] = f.split('-').map(Number);
          return [from as number, to ?? (from as number)];
        });
      nodes.push({ id, server, role: flags?.includes('master') ? 'master' : 'replica', slots });
    }
    return nodes;
  }

  async masters(): Promise<ClusterNodeInfo[]> {
    return (await this.nodes()).filter((n) => n.role === 'master' && n.slots.length > 0);
  }

  /** Moves `slots` slots from one master to another with `redis-cli --cluster reshard` (keys migrate live). */
  async reshard(fromId: string, toId: string, slots: number): Promise<void> {
    const seed = this.servers.find((s) => s.pid !== undefined);
    if (!seed) throw new Error('no cluster node is running');
    await this.cli(
      ['--cluster', 'reshard', `127.0.0.1:${seed.port}`, '--cluster-from', fromId, '--cluster-to', toId, '--cluster-slots', String(slots), '--cluster-yes'],
      120_000,
    );
  }

  /** Resolves once every running node says `cluster_state:ok` and knows every other node. */
  async waitUntilOk(timeoutMs: number): Promise<void> {
    await this.waitForState('ok', timeoutMs);
  }

  /** Resolves once every running node says `cluster_state:<state>`. */
  async waitForState(state: 'ok' | 'fail', timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const running = this.servers.filter((s) => s.pid !== undefined);
        const infos = await Promise.all(running.map((s) => s.command('CLUSTER', 'INFO')));
        const known = await Promise.all(running.map((s) => s.command('CLUSTER', 'NODES')));
        const allKnown = state === 'fail' || known.every((k) => String(k).trim().split('\n').length === this.servers.length);
        last = infos.map((i) => /cluster_state:(\w+)/.exec(String(i))?.[1]).join(',');
        if (allKnown && infos.every((i) => String(i).includes(`cluster_state:${state}`))) return;
      } catch (error) {
        last = (error as Error).message;
      }
      await sleep(100);
    }
    throw new Error(`cluster not ${state} within ${timeoutMs} ms (node timeout ${this.nodeTimeoutMs} ms): ${last}`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }

  private async cli(args: string[], timeoutMs = 30_000): Promise<string> {
    try {
      const { stdout } = await run(REDIS_CLI, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
      return stdout;
    } catch (error) {
      const e = error as Error & { stdout?: string; stderr?: string };
      throw new Error(`redis-cli ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    }
  }
}
