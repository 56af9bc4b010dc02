/**
 * Leases under real concurrency: two API replicas over one Redis (AOF everysec), 50 workflows of 5 steps each
 * (state.steps: { s1: null, … s5: null }), 8 worker child processes (lease-worker.mjs) that each loop: acquire a
 * workflow's lease over HTTP (409 lease-held: try another), apply its next step with Lease-Token and If-Match
 * (recording the worker and the token in the step), release. Requests alternate between the replicas.
 *
 * One worker pauses at a known point while holding a lease (after reading the workflow, before its write), is
 * SIGSTOPped there past its lease's TTL while another worker takes the step over, then SIGCONTed: its write with the
 * old token must be refused with 409 lease-lost, and its release too.
 *
 * Checked at the end: every step of every workflow applied exactly once (one accepted write per step, the final
 * version is 1 + steps, the state holds each step's writer and token); every accepted write carried the token of the
 * lease acquired last before it in the workflow's feed, with no release or expiry of that lease in between, and the
 * kept versions show that write set exactly that step; tokens grow per workflow in feed order; no write with a stale
 * token (the paused worker's, and the probes every worker sends with a token it just released) was accepted; the
 * feed holds exactly one update per accepted write; nothing is stalled at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createWorkflowStore, loadWorkflowStoreConfig, type ValidatingWorkflowStore, type WorkflowEvent } from '#workflow-store';
import { Collector } from '../contract/feed-support.js';
import { ApiProcess } from '../support/api-process.js';
import { killAtExit } from '../support/kill-at-exit.js';
import { quietLogger } from '../support/quiet-logger.js';
import { randomId, randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { timedFetch } from '../support/timed-fetch.js';

const WORKFLOWS = 50;
const STEPS = 5;
const WORKERS = 8;
const LEASE_TTL_MS = 1500;
const STALE_PROBE_EVERY = 7;
const WORKER_SCRIPT = join(process.cwd(), 'test/fault/lease-worker.mjs');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One JSON line a worker reported. */
interface Line {
  worker: number;
  at: number;
  type: 'acquired' | 'pausing' | 'resumed' | 'write' | 'release' | 'stale-probe' | 'unexpected' | 'crashed' | 'done';
  id?: string;
  step?: string;
  token?: number;
  status?: number;
  problem?: string;
  version?: number;
  [more: string]: unknown;
}

class Worker {
  readonly lines: Line[] = [];
  stderr = '';
  private partial = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly n: number,
    readonly child: ChildProcess,
  ) {
    const pids = killAtExit();
    const pid = child.pid;
    if (pid !== undefined) pids.add(pid);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const text = this.partial + chunk;
      const parts = text.split('\n');
      this.partial = parts.pop() ?? '';
      for (const part of parts) if (part.trim()) this.lines.push(JSON.parse(part) as Line);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        if (pid !== undefined) pids.delete(pid);
        resolve(code);
      });
    });
  }

  static start(n: number, config: Record<string, unknown>): Worker {
    const child = spawn(process.execPath, [WORKER_SCRIPT, JSON.stringify({ worker: n, ...config })], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Worker(n, child);
  }

  running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running()) this.child.kill(signal);
  }
}

/** Polls `find` every 20 ms until it returns something; fails after `ms` with `what`. */
async function waitFor<T>(what: string, find: () => T | undefined, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}

describe('leases: 8 worker processes, two API replicas, one Redis; a holder stopped past its TTL', () => {
  let redis: RedisServer | undefined;
  let apis: ApiProcess[] = [];
  let store: ValidatingWorkflowStore | undefined;
  let feed: Collector | undefined;
  const workers: Worker[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'wfs-lease-workers-'));

  afterAll(async () => {
    for (const worker of workers) {
      worker.signal('SIGCONT');
      worker.signal('SIGKILL');
    }
    await Promise.all(workers.map((w) => w.exited));
    await feed?.close();
    await store?.close();
    await Promise.all(apis.map((api) => api.stop('SIGKILL')));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies every step exactly once under a current token; the stopped holder is fenced out (409 lease-lost)', async () => {
    const startedAt = Date.now();
    redis = await RedisServer.start({ appendonly: true });
    const env = { USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: randomPrefix(), WORKFLOW_STATE_TTL: '600', LEASE_SWEEP_INTERVAL_MS: '50' };
    apis = await ApiProcess.startMany(2, env);
    const bases = apis.map((api) => api.url);
    // The test's own view of the data: the feed from before the first write, and the kept versions at the end.
    store = createWorkflowStore(loadWorkflowStoreConfig({ ...env, LEASE_SWEEP_INTERVAL_MS: '0', REDIS_PURGE_INTERVAL_MS: '0' }), quietLogger());
    await store.connect();
    feed = await Collector.open(store, {}, undefined, 'feed');

    const ids = Array.from({ length: WORKFLOWS }, () => randomId('lw'));
    const steps = Object.fromEntries(Array.from({ length: STEPS }, (_, i) => [`s${i + 1}`, null]));
    for (const [i, id] of ids.entries()) {
      const created = await timedFetch(bases[i % 2] as string, `/workflows/${id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'if-none-match': '*' },
        body: JSON.stringify({ type: 'leased-steps', state: { steps } }),
      });
      expect(created.status).toBe(201);
    }

    const pauseFile = join(dir, 'go');
    const common = { bases, ids, ttlMs: LEASE_TTL_MS, staleProbeEvery: STALE_PROBE_EVERY };
    for (let n = 0; n < WORKERS; n++) workers.push(Worker.start(n, n === 0 ? { ...common, pauseFile } : common));
    const stopped = workers[0] as Worker;

    // The pausing worker holds a lease it has not used yet: stop it there, past the lease's TTL.
    const paused = await waitFor('the pausing worker at its known point', () => stopped.lines.find((l) => l.type === 'pausing'), 20_000);
    stopped.signal('SIGSTOP');
    const stoppedAt = Date.now();
    const takeover = await waitFor(
      `another worker applying ${paused.id} ${paused.step} after the stopped holder's lease expired`,
      () => workers.slice(1).flatMap((w) => w.lines).find((l) => l.type === 'write' && l.status === 200 && l.id === paused.id && l.step === paused.step),
      20_000,
    );
    // While it is stopped: the workflow's lease is another's now, or it was stalled in between.
    const stalledWhileStopped = await timedFetch(bases[0] as string, '/workflows?stalled=true');
    writeFileSync(pauseFile, '');
    stopped.signal('SIGCONT');
    const resumedAt = Date.now();
    const staleWrite = await waitFor(
      'the resumed worker reporting its write',
      () => stopped.lines.find((l) => l.type === 'write' && l.id === paused.id && l.token === paused.token),
      15_000,
    );

    let timer: NodeJS.Timeout | undefined;
    const codes = await Promise.race([
      Promise.all(workers.map((w) => w.exited)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`workers still running after 60 s: ${workers.filter((w) => w.running()).map((w) => w.n).join(', ')}`)), 60_000);
      }),
    ]).finally(() => clearTimeout(timer));
    const lines = workers.flatMap((w) => w.lines);
    expect({ codes, stderr: workers.map((w) => w.stderr).filter(Boolean) }).toEqual({ codes: workers.map(() => 0), stderr: [] });
    expect(lines.filter((l) => l.type === 'unexpected' || l.type === 'crashed')).toEqual([]);
    expect(workers.map((w) => w.lines.at(-1)?.type)).toEqual(workers.map(() => 'done'));

    // The safety property first: the stopped holder's write was not accepted.
    expect(staleWrite.status).not.toBe(200);
    expect(takeover.worker).not.toBe(0);
    expect(takeover.token as number).toBeGreaterThan(paused.token as number);

    // Every other write was accepted: a holder of a live lease, with If-Match from its own read, is never refused.
    const writes = lines.filter((l) => l.type === 'write');
    const accepted = writes.filter((l) => l.status === 200);
    expect(writes.filter((l) => l.status !== 200 && l !== staleWrite)).toEqual([]);
    expect(accepted).toHaveLength(WORKFLOWS * STEPS);
    const byStep = new Map<string, Line[]>();
    for (const write of accepted) byStep.set(`${write.id} ${write.step}`, [...(byStep.get(`${write.id} ${write.step}`) ?? []), write]);
    expect([...byStep.values()].filter((list) => list.length !== 1)).toEqual([]);
    expect(byStep.size).toBe(WORKFLOWS * STEPS);

    // Stale tokens: every probe with a just-released token, and the stopped holder's release, were refused.
    const probes = lines.filter((l) => l.type === 'stale-probe');
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.filter((l) => l.status !== 409 || l.problem !== 'lease-lost')).toEqual([]);
    const releases = lines.filter((l) => l.type === 'release');
    const staleRelease = releases.find((l) => l.worker === 0 && l.token === paused.token);
    expect(staleRelease).toMatchObject({ status: 409, problem: 'lease-lost' });
    expect(releases.filter((l) => l !== staleRelease && l.status !== 204)).toEqual([]);

    // The stored result: every step applied once, by the holder its write names.
    for (const id of ids) {
      const final = await store.get(id);
      const expectedSteps = Object.fromEntries(
        Array.from({ length: STEPS }, (_, i) => {
          const write = (byStep.get(`${id} s${i + 1}`) as Line[])[0] as Line;
          return [`s${i + 1}`, { worker: write.worker, token: write.token }];
        }),
      );
      expect({ id, version: final?.version, state: final?.state }).toEqual({ id, version: 1 + STEPS, state: { steps: expectedSteps } });
    }

    // The feed: one update per accepted write, each under the lease acquired last before it and not ended since.
    const end = randomId('end');
    await store.create({ id: end, type: 'sentinel', state: {} });
    await feed.untilEventOf(end, undefined, 30_000);
    const events = feed.events;
    expect(feed.messages.filter((m) => m.kind === 'reset')).toEqual([]);
    expect(events.filter((e) => e.op === 'updated')).toHaveLength(accepted.length);
    const violations: string[] = [];
    let expiredHolders = 0;
    for (const id of ids) {
      const own = events.filter((e) => e.id === id);
      let holder: WorkflowEvent | undefined;
      let lastToken = 0;
      for (const event of own) {
        if (event.op === 'lease-acquired') {
          const token = event.lease?.token ?? 0;
          if (token <= lastToken) violations.push(`${id}: token ${token} acquired after ${lastToken}`);
          lastToken = token;
          holder = event;
        } else if (event.op === 'lease-released' || event.op === 'lease-expired') {
          if (event.lease?.token !== holder?.lease?.token) violations.push(`${id}: ${event.op} of ${event.lease?.token}, the holder is ${holder?.lease?.token}`);
          if (event.op === 'lease-expired') expiredHolders += 1;
          holder = undefined;
        } else if (event.op === 'updated') {
          const write = accepted.find((l) => l.id === id && l.version === event.version);
          if (!write) violations.push(`${id}: update v${event.version} that no worker reported`);
          else if (!holder || holder.lease?.token !== write.token || holder.lease?.owner !== `w${write.worker}`) {
            violations.push(`${id} v${event.version}: written with token ${write.token} by w${write.worker}, the lease then was ${holder ? `${holder.lease?.token} of ${holder.lease?.owner}` : 'none'}`);
          }
          // The kept versions: this write set exactly its step, with its token.
          if (write) {
            const after = await store.getVersion(id, event.version);
            const before = await store.getVersion(id, event.version - 1);
            const step = write.step as string;
            const set = (after?.state.steps as Record<string, unknown>)[step];
            const was = (before?.state.steps as Record<string, unknown>)[step];
            if (JSON.stringify(set) !== JSON.stringify({ worker: write.worker, token: write.token }) || was !== null) {
              violations.push(`${id} v${event.version}: ${step} went from ${JSON.stringify(was)} to ${JSON.stringify(set)}`);
            }
          }
        }
      }
    }
    expect(violations).toEqual([]);

    // Nothing is stalled at the end, on either replica.
    for (const base of bases) {
      const stalled = await timedFetch(base, '/workflows?stalled=true');
      expect({ base, status: stalled.status, items: (stalled.body as { items?: unknown[] }).items }).toEqual({ base, status: 200, items: [] });
    }

    const acquisitions = lines.filter((l) => l.type === 'acquired').length;
    console.log(
      `lease workers: ${WORKERS} workers, ${WORKFLOWS}×${STEPS} steps, ${acquisitions} leases acquired, ${accepted.length} writes accepted, ` +
        `${probes.length} stale probes refused; worker 0 stopped ${resumedAt - stoppedAt} ms holding ${paused.id} ${paused.step} (token ${paused.token}), ` +
        `taken over by w${takeover.worker} with token ${takeover.token} ${takeover.at - stoppedAt} ms after the stop; ` +
        `stalled list while stopped: ${stalledWhileStopped.status} ${JSON.stringify((stalledWhileStopped.body as { items?: { id: string }[] }).items?.map((w) => w.id))}; ` +
        `lease-expired events: ${expiredHolders}; the stopped holder's write: ${staleWrite.status} ${String(staleWrite.problem)}; total ${Date.now() - startedAt} ms`,
    );
    expect(existsSync(pauseFile)).toBe(true);
    // Last, the answer the spec gives the fenced-out holder: 409 lease-lost (not a 412: the lease is checked first).
    expect({ status: staleWrite.status, problem: staleWrite.problem }).toEqual({ status: 409, problem: 'lease-lost' });
  }, 120_000);
});
