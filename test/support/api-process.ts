import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './free-port.js';

const MAIN = join(process.cwd(), 'dist/apps/api/src/main.js');

/** The built API as a real child process (run `npm run build` first; `npm test` does). */
export class ApiProcess {
  output = '';

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    // Decode across chunk boundaries: a multi-byte character may be split between two chunks.
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.output += d));
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
      if (child.exitCode !== null) throw new Error(`API exited with ${child.exitCode}:\n${api.output}`);
      try {
        if ((await fetch(`${api.url}/health/ready`)).ok) return api;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`API did not become ready:\n${api.output}`);
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
    return { code, output: api.output, ms: endedAt - started, endedAt };
  }

  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null) return Promise.resolve(this.child.exitCode);
    const exited = new Promise<number | null>((r) => this.child.once('exit', (code) => r(code)));
    this.child.kill(signal);
    return exited;
  }
}
