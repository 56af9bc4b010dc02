import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { waitForPing } from './redis-process.js';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Node {
  port: number;
  dir: string;
  child: ChildProcess;
}

/**
 * A private Redis Cluster of `masters` redis-server processes for the bench (no replicas, no persistence, as the
 * bench's single server), made with `redis-cli --cluster create`. Spawned directly and ended by pid (SIGKILL) in
 * `stop()`, which is idempotent and also runs at process exit.
 */
export class RedisClusterProcess {
  private constructor(private readonly nodes: Node[]) {
    process.once('exit', () => this.stop());
  }

  static async start(masters: number): Promise<RedisClusterProcess> {
    const nodes: Node[] = [];
    const cluster = new RedisClusterProcess(nodes);
    try {
      const used = new Set<number>();
      const port = async (): Promise<number> => {
        for (;;) {
          const p = await freePort();
          if (!used.has(p)) return used.add(p), p;
        }
      };
      for (let i = 0; i < masters; i++) {
        const [client, bus] = [await port(), await port()];
        const dir = mkdtempSync(join(tmpdir(), 'wfs-bench-cluster-'));
        const child = spawn(
          process.env.REDIS_SERVER_BIN ?? 'redis-server',
          ['--port', String(client), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'no',
            '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000', '--cluster-port', String(bus)],
          { stdio: 'ignore' },
        );
        nodes.push({ port: client, dir, child });
      }
      for (const node of nodes) await waitForPing(node.child, node.port);
      await run(process.env.REDIS_CLI_BIN ?? 'redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
        timeout: 30_000,
      });
      await cluster.waitUntilOk();
    } catch (error) {
      cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** REDIS_CLUSTER_NODES: every node as a seed. */
  get seeds(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  get pids(): number[] {
    return this.nodes.map((n) => n.child.pid as number);
  }

  /** A plain connection to each master (for INFO), in node order. */
  clients(): Redis[] {
    return this.nodes.map((n) => new Redis(n.port, '127.0.0.1', { maxRetriesPerRequest: 1 }));
  }

  stop(): void {
    for (const node of this.nodes) {
      if (node.child.exitCode === null && node.child.signalCode === null) {
        try {
          node.child.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(node.dir, { recursive: true, force: true });
    }
  }

  private async waitUntilOk(): Promise<void> {
    const clients = this.clients();
    const deadline = Date.now() + 20_000;
    try {
      for (;;) {
        const infos = await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO')));
        if (infos.every((i) => String(i).includes('cluster_state:ok'))) return;
        if (Date.now() > deadline) throw new Error('cluster not ok within 20 s');
        await sleep(100);
      }
    } finally {
      for (const c of clients) c.disconnect();
    }
  }
}
