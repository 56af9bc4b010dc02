import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { killAtExit } from './kill-at-exit.js';

const MAIN = join(process.cwd(), 'dist/apps/api/src/main.js');
/** A SIGTERM'd API that has not exited after this long is killed (stop() must end, or Jest never exits). */
const STOP_GRACE_MS = 15_000;

/** The built API as a real child process (run `npm run build` first; `npm test` does). */
export class ApiProcess {
  output = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    // Decode across chunk boundaries: a multi-byte character may be split between two chunks.
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    const pids = killAtExit();
    const pid = child.pid;
    if (pid !== undefined) pids.add(pid);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        if (pid !== undefined) pids.delete(pid);
        resolve(code);
      });
      child.once('error', () => {
        if (pid !== undefined) pids.delete(pid);
        resolve(null);
      });
    });
    // Like RedisServer: a process a test failed to stop (e.g. one that timed out before its cleanup) must not keep
    // Jest running; it is killed when Jest exits. Every test still stops what it started.
    child.unref();
    for (const pipe of [child.stdout, child.stderr]) (pipe as { unref?: () => void } | null)?.unref?.();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(env: Record<string, string>): Promise<ApiProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const api = new ApiProcess(child, port);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (api.ended()) throw new Error(`API exited with ${String(child.exitCode ?? child.signalCode)}:\n${api.output}`);
      try {
        // Bounded: an API that accepts the connection but never answers must not hang the caller.
        if ((await fetch(`${api.url}/health/ready`, { signal: AbortSignal.timeout(2000) })).ok) return api;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await api.stop('SIGKILL');
    throw new Error(`API did not become ready:\n${api.output}`);
  }

  /** `count` APIs with the same environment; if one fails to start, those already started are stopped. */
  static async startMany(count: number, env: Record<string, string>): Promise<ApiProcess[]> {
    const started = await Promise.allSettled(Array.from({ length: count }, () => ApiProcess.start(env)));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (!failed) return started.map((s) => (s as PromiseFulfilledResult<ApiProcess>).value);
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop('SIGKILL') : undefined)));
    throw failed.reason;
  }

  /**
   * Starts the API expecting it to exit on its own (a failed boot); resolves with its exit code, output and how long
   * it ran, or with code null if it was still running after `limitMs` (then it is killed).
   */
  static async runToExit(
    env: Record<string, string>,
    limitMs = 15_000,
  ): Promise<{ code: number | null; output: string; ms: number; endedAt: number }> {
    const started = Date.now();
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(await freePort()), LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const api = new ApiProcess(child, 0);
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, limitMs);
      // 'close', not 'exit': the output pipes are drained by then.
      child.once('close', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    const endedAt = Date.now();
    await api.exited;
    return { code, output: api.output, ms: endedAt - started, endedAt };
  }

  /**
   * Sends `signal` (SIGTERM by default) and resolves with the exit code once the process has exited (null if a
   * signal ended it). Resolves at once if it has already exited; a process still running STOP_GRACE_MS after a
   * SIGTERM is killed with SIGKILL.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.ended()) return this.child.exitCode;
    this.child.kill(signal);
    const grace = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      return await this.exited;
    } finally {
      clearTimeout(grace);
    }
  }

  /** Exited with a code or ended by a signal (then `exitCode` stays null). */
  private ended(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }
}
