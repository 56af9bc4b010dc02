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
  /** Node options before the CLI's main (e.g. CONNECT_TIMER). */
  nodeArgs?: string[];
}

/** Node options that make the CLI print `connect-timer: <ms>` at exit (see connect-timer.mjs and `afterFirstConnect`). */
export const CONNECT_TIMER = ['--import', join(process.cwd(), 'test/support/connect-timer.mjs')];

/** The ms from the CLI's first connection attempt to its exit (a run with CONNECT_TIMER), and stderr without that line. */
export function afterFirstConnect(run: CliResult): { ms: number; stderr: string } {
  const match = /^connect-timer: (\d+) ms\n?/m.exec(run.stderr);
  if (!match) throw new Error(`no connect-timer line (did the run use CONNECT_TIMER, and did it connect at all?): ${run.stderr}`);
  return { ms: Number(match[1]), stderr: run.stderr.replace(match[0], '') };
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
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), MAIN, ...args], {
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
