import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A Node child process (a server under test) that is ready once `readyUrl` answers 200. Output is kept for
 * error messages; `stop()` ends it by pid (SIGTERM, then SIGKILL after 5 s) and is also run at process exit.
 */
export class NodeChild {
  output = '';

  private constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.output = (this.output + d).slice(-20_000)));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.output = (this.output + d).slice(-20_000)));
    process.once('exit', () => this.kill('SIGKILL'));
  }

  static async start(script: string, nodeArgs: string[], env: Record<string, string>, readyUrl: string): Promise<NodeChild> {
    const child = spawn(process.execPath, [...nodeArgs, script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const node = new NodeChild(child);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}:\n${node.output}`);
      try {
        if ((await fetch(readyUrl)).ok) return node;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    node.kill('SIGKILL');
    throw new Error(`${script} did not answer ${readyUrl}:\n${node.output}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Runs a Node script to completion and returns its stdout (stderr is included in the error if it fails). */
export function runNode(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} exited with ${code}: ${err}`))));
  });
}
