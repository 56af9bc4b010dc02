import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { killAtExit } from './kill-at-exit.js';
import { dropClient } from './redis-client.js';

export interface RedisServerOptions {
  /** `--appendonly yes|no`; default true. */
  appendonly?: boolean;
  /** Extra redis-server arguments, e.g. ['--maxmemory', '2mb']. */
  args?: string[];
  /**
   * A config file to start with, keeping its settings: only the port, bind address, dir and daemonize are set on
   * top (then `args`). Without it the helper's test defaults apply (no RDB, AOF per `appendonly`, DEBUG enabled).
   */
  configFile?: string;
  /** Credentials for the helper's own connections (PING while starting, `command()`), when the default user is off. */
  auth?: { username: string; password: string };
  /** The port to listen on (e.g. one of freePorts()); default: a free port. */
  port?: number;
}

const START_TIMEOUT_MS = 10_000;
const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? 'redis-server';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A private redis-server on a free port with its own data dir, spawned directly (no shell) and ended by pid.
 * Never a shared instance.
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopped = false;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(options.port ?? (await freePort()), mkdtempSync(join(tmpdir(), 'wfs-redis-')), options);
    try {
      await server.launch();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Pid of the running process; undefined once it has exited. */
  get pid(): number | undefined {
    return this.running() ? this.child?.pid : undefined;
  }

  get logPath(): string {
    return join(this.dir, 'redis.log');
  }

  /** SIGSTOP: the server keeps its sockets but answers nothing until `resume()`. */
  pause(): void {
    this.signal('SIGSTOP');
  }

  /** SIGCONT. */
  resume(): void {
    this.signal('SIGCONT');
  }

  /** SIGKILL and wait for the exit; the dir (AOF data) is kept for `restart()`. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || !this.running()) return;
    child.ref();
    this.signal('SIGKILL');
    await this.exited;
  }

  /** Starts again on the same port and dir; resolves when it answers PING (after loading its data). */
  async restart(): Promise<void> {
    if (this.stopped) throw new Error(`redis-server on ${this.port} was stopped; it cannot restart`);
    await this.kill9();
    await this.launch();
  }

  /** SIGCONT (in case it is paused), SIGKILL, wait for the exit, remove the dir. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.signal('SIGCONT');
    await this.kill9();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** One command over a short-lived connection, e.g. `command('DBSIZE')`. */
  async command(...args: (string | number)[]): Promise<unknown> {
    const [name, ...rest] = args;
    if (name === undefined) throw new Error('command() needs a command name');
    const client = new Redis({
      port: this.port,
      host: '127.0.0.1',
      lazyConnect: true,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 2000,
      commandTimeout: 5000,
      username: this.options.auth?.username,
      password: this.options.auth?.password,
    });
    client.on('error', () => undefined); // reported through the rejected command instead
    try {
      await client.connect();
      return await client.call(String(name), ...rest);
    } finally {
      dropClient(client);
    }
  }

  private running(): boolean {
    const child = this.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.running()) return;
    try {
      this.child?.kill(signal);
    } catch {
      // exited between the check and the signal
    }
  }

  private async launch(): Promise<void> {
    const configFile = this.options.configFile;
    const fromFile = configFile && [configFile, '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--daemonize', 'no', ...(this.options.args ?? [])];
    const args = fromFile || [
      '--port', String(this.port),
      '--bind', '127.0.0.1',
      '--save', '',
      '--appendonly', this.options.appendonly === false ? 'no' : 'yes',
      '--appendfsync', 'everysec',
      '--dir', this.dir,
      '--daemonize', 'no',
      '--protected-mode', 'no',
      '--repl-diskless-sync-delay', '0',
      '--enable-debug-command', 'local',
      ...(this.options.args ?? []),
    ];
    const log = openSync(this.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(REDIS_SERVER, args, { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log); // the child has its own copy
    }
    this.child = child;
    const pids = killAtExit();
    const pid = child.pid;
    if (pid !== undefined) pids.add(pid);
    let spawnError: Error | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        if (pid !== undefined) pids.delete(pid);
        resolve();
      });
      child.once('error', (error) => {
        spawnError = error;
        if (pid !== undefined) pids.delete(pid);
        resolve();
      });
    });
    // A forgotten server must not keep the test process alive; the registry kills it at exit.
    child.unref();

    const deadline = Date.now() + START_TIMEOUT_MS;
    let lastError = 'no answer yet';
    while (Date.now() < deadline) {
      if (spawnError) break;
      if (!this.running()) {
        lastError = `redis-server exited (code ${String(child.exitCode)}, signal ${String(child.signalCode)})`;
        break;
      }
      try {
        const reply = await this.command('PING');
        if (reply === 'PONG') return;
        lastError = `PING answered ${String(reply)}`;
      } catch (error) {
        lastError = (error as Error).message; // not listening yet, or LOADING its data
      }
      await sleep(50);
    }
    await this.kill9();
    throw new Error(
      `redis-server on port ${this.port} did not answer PING within ${START_TIMEOUT_MS} ms` +
        ` (${spawnError ? `spawn failed: ${spawnError.message}` : lastError}); log tail:\n${this.logTail()}`,
    );
  }

  private logTail(): string {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-30).join('\n');
    } catch (error) {
      return `(no log: ${(error as Error).message})`;
    }
  }
}
