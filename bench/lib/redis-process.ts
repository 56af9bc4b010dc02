import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

/** What the bench says about the server it measured against. */
export const REDIS_BENCH_SETTINGS = "private redis-server, --save '' --appendonly no (no persistence: a benchmark, not a deployment)";

/**
 * A private redis-server for the bench: free port, its own temp dir, no persistence, spawned directly (no shell)
 * and ended by pid. `stop()` is idempotent and also runs at process exit, so an error never leaves it behind.
 */
export class RedisProcess {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(): Promise<RedisProcess> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'wfs-bench-redis-'));
    const child = spawn(
      process.env.REDIS_SERVER_BIN ?? 'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'no'],
      { stdio: 'ignore' },
    );
    const server = new RedisProcess(port, dir, child);
    const kill = (): void => server.kill();
    process.once('exit', kill);
    await waitForPing(child, port);
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** A plain client for seeding and inspection (not the one being measured), on database `db`. */
  client(db = 0): Redis {
    return new Redis(this.port, '127.0.0.1', { maxRetriesPerRequest: 1, db });
  }

  async version(): Promise<string> {
    const client = this.client();
    try {
      const info = await client.info('server');
      return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    } finally {
      client.disconnect();
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        this.child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

}

/** Waits until the redis-server `child` on `port` answers PING (10 s at most); fails at once if it exited. */
export async function waitForPing(child: ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited with ${child.exitCode}`);
    const client = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer PING within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      client.disconnect();
    }
  }
}
