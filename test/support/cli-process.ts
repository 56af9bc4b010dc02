import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const MAIN = join(process.cwd(), 'dist/apps/cli/src/main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time of the run, ms. */
  ms: number;
}

export interface CliOptions {
  stdin?: string;
  timeoutMs?: number;
}

/**
 * Runs the built CLI (`npm run build` first; `npm test` does) as a child process with only the given environment
 * (plus PATH), optionally feeding `stdin`. Rejects if it runs longer than `timeoutMs` (and kills it).
 */
export function runCli(args: string[], env: Record<string, string> = {}, options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, env, options).done;
}

/** Like `runCli`, with the child process at hand (to signal it mid-run). */
export function startCli(args: string[], env: Record<string, string> = {}, options: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const started = performance.now();
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  // Decode across chunk boundaries: a multi-byte character may be split between two chunks.
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(options.stdin ?? '');
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI ${args.join(' ')} still running after ${options.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
  return { child, done };
}
