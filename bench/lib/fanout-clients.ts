import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FanoutClientsInput, FanoutClientsResult, FromClients, ToClients } from '../load/fanout-protocol.js';
import { nowMs } from './clock.js';
import type { WriteLog } from './delivery-log.js';

const CLIENTS_MAIN = fileURLToPath(new URL('../load/sse-fanout-clients.js', import.meta.url));

/**
 * The fan-out client process (bench/load/sse-fanout-clients.ts) seen from the bench: a WriteLog whose entries
 * (timed here) go to it over IPC, and its result at the end. Ended by pid if anything goes wrong.
 */
export class FanoutClients implements WriteLog {
  private readonly waiting = new Map<FromClients['kind'], (message: FromClients) => void>();
  private exited: string | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: FromClients) => {
      if (message.kind === 'error') {
        // Whatever the bench waits for, the process failed.
        for (const resolve of this.waiting.values()) resolve(message);
        this.waiting.clear();
        return;
      }
      const waiter = this.waiting.get(message.kind);
      this.waiting.delete(message.kind);
      waiter?.(message);
    });
    child.once('exit', (code, signal) => {
      this.exited = `the fan-out client process exited (${code ?? signal})`;
      for (const resolve of this.waiting.values()) resolve({ kind: 'error', message: this.exited });
      this.waiting.clear();
    });
    process.once('exit', () => this.kill());
  }

  /** Forks the process and resolves once all its streams are open. */
  static async open(input: FanoutClientsInput): Promise<FanoutClients> {
    const child = fork(CLIENTS_MAIN, [JSON.stringify(input)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const clients = new FanoutClients(child);
    const ready = await clients.next('ready');
    if (ready.kind === 'error') {
      clients.kill();
      throw new Error(`fan-out clients: ${ready.message}`);
    }
    return clients;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  sent(key: string, measured: boolean, at = nowMs()): void {
    this.post({ kind: 'sent', key, measured, at });
  }

  answered(key: string, ok: boolean, at = nowMs()): void {
    this.post({ kind: 'answered', key, ok, at });
  }

  /** Waits (up to `drainMs`) until every client has the event of every acknowledged write so far; the pairs still missing. */
  async settle(drainMs: number): Promise<number> {
    const done = this.next('settled');
    this.post({ kind: 'settle', drainMs });
    const message = await done;
    if (message.kind !== 'settled') throw new Error(`fan-out clients: ${message.kind === 'error' ? message.message : 'not settled'}`);
    return message.outstanding;
  }

  /** Tells the process the writes are over; it waits up to `drainMs` for missing events, answers and exits. */
  async finish(drainMs: number): Promise<FanoutClientsResult> {
    const done = this.next('result');
    this.post({ kind: 'finish', drainMs });
    const message = await done;
    if (message.kind !== 'result') throw new Error(`fan-out clients: ${message.kind === 'error' ? message.message : 'no result'}`);
    return message.result;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private post(message: ToClients): void {
    if (!this.exited && this.child.connected) this.child.send(message);
  }

  private next(kind: FromClients['kind']): Promise<FromClients> {
    if (this.exited) return Promise.resolve({ kind: 'error', message: this.exited });
    return new Promise((resolve) => this.waiting.set(kind, resolve));
  }
}
