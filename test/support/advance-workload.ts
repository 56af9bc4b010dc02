import { History, type FinalState, type Outcome } from './history.js';
import { timedFetch, versionOf, type Answer } from './timed-fetch.js';

const json = { 'content-type': 'application/json' };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface AdvanceOptions {
  /** API base URLs; operation n goes to base n mod length. */
  bases: string[];
  /** The writer's own workflow (one writer per workflow, so an acknowledged version is that operation's own). */
  id: string;
  history: History;
  /** Every HTTP answer is appended here. */
  answers: Answer[];
  /** Start no new operation once this returns true (an operation in progress is still retried to an answer). */
  stop: () => boolean;
  /**
   * Return as soon as this returns true, even mid-operation (not retried to an answer): the cleanup after a test
   * failed half-way, whose history is not checked. Without it a failed test's writers retry for up to `giveUpMs`.
   */
  halt?: () => boolean;
  /** Most operations to run. */
  maxOperations?: number;
  /** Give up retrying an operation after this time (it then stays "unknown"). */
  giveUpMs?: number;
  /** Pause before retrying after a 503 or no answer. */
  retryDelayMs?: number;
  /** Move on to the next operation after an unknown outcome instead of retrying it (measures late application). */
  abandonUnknown?: boolean;
  /** How each operation is sent; see advanceLoop. Default `patch`. */
  mode?: 'patch' | 'put';
}

/** Creates workflow `id` at version 1 with an empty state (the initial version of the history check). */
export async function createEmpty(base: string, id: string): Promise<void> {
  const answer = await timedFetch(base, `/workflows/${id}`, { method: 'PUT', headers: { ...json, 'if-none-match': '*' }, body: '{"type":"fault","state":{}}' });
  if (answer.status !== 201) throw new Error(`create ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

function outcomeOf(answer: Answer): Outcome {
  if (answer.status >= 200 && answer.status < 300) return 'ok';
  if (answer.status === 0 || answer.problem === 'outcome-unknown') return 'unknown';
  return 'fail';
}

/**
 * One client advancing its workflow. Each operation adds its own mark to the state and carries its own
 * Idempotency-Key; after a 503 or no answer it is retried with the same key until acknowledged (or, with
 * `abandonUnknown`, left after an unknown outcome). After each operation the workflow is read back (reads for H4).
 * - `patch`: an unconditional merge patch (the server reads, then compare-and-sets: a write that may be lost
 *   between the two is the duplicate risk).
 * - `put`: the client's own read-modify-write, PUT of the whole state with If-Match (one script call, so a write
 *   sent to a stalled Redis is always "unknown").
 */
export async function advanceLoop(options: AdvanceOptions): Promise<void> {
  const { bases, id, history, answers } = options;
  const retryDelayMs = options.retryDelayMs ?? 25;
  const giveUpAt = (): number => Date.now() + (options.giveUpMs ?? 15_000);
  let known: Known | undefined;
  const halted = (): boolean => options.halt?.() ?? false;
  for (let n = 0; n < (options.maxOperations ?? Infinity) && !options.stop() && !halted(); n++) {
    const op = `${id}.op${n}`;
    const base = bases[n % bases.length] as string;
    if (options.mode === 'put' && !known) known = await readKnown(base, id, answers, history, giveUpAt(), halted);
    if (halted()) return;
    const init = requestFor(options.mode ?? 'patch', op, n, known);
    const deadline = giveUpAt();
    for (;;) {
      const answer = await timedFetch(base, `/workflows/${id}`, init);
      answers.push(answer);
      const outcome = outcomeOf(answer);
      history.write({ id, op, mark: op, outcome, version: versionOf(answer.etag), start: answer.start, end: answer.end });
      if (outcome === 'ok') known = answer.body as Known;
      if (outcome !== 'ok') known = undefined;
      if (outcome === 'ok' || (outcome === 'unknown' && options.abandonUnknown)) break;
      if (answer.status !== 0 && answer.status !== 503) return; // anything but "try again" ends the client; the test asserts on answers
      if (Date.now() > deadline || halted()) return;
      await sleep(retryDelayMs);
    }
    if (options.stop()) break;
    const read = await timedFetch(base, `/workflows/${id}`);
    answers.push(read);
    if (read.status === 200 || read.status === 404) {
      history.read({ id, version: read.status === 200 ? (versionOf(read.etag) ?? null) : null, start: read.start, end: read.end });
    }
  }
}

interface Known {
  version: number;
  state: Record<string, unknown>;
}

function requestFor(mode: 'patch' | 'put', op: string, n: number, known: Known | undefined): RequestInit {
  if (mode === 'patch') {
    return {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json', 'idempotency-key': op },
      body: JSON.stringify({ state: { [op]: n } }),
    };
  }
  if (!known) throw new Error('put mode needs the current version');
  return {
    method: 'PUT',
    headers: { ...json, 'idempotency-key': op, 'if-match': `"${known.version}"` },
    body: JSON.stringify({ state: { ...known.state, [op]: n } }),
  };
}

/** The current version and state, retrying 503s (recorded as history reads). */
async function readKnown(base: string, id: string, answers: Answer[], history: History, deadline: number, halted: () => boolean): Promise<Known | undefined> {
  for (;;) {
    const read = await timedFetch(base, `/workflows/${id}`);
    answers.push(read);
    if (read.status === 200) {
      history.read({ id, version: versionOf(read.etag) ?? null, start: read.start, end: read.end });
      return read.body as Known;
    }
    if ((read.status !== 503 && read.status !== 0) || Date.now() > deadline || halted()) return undefined;
    await sleep(25);
  }
}

/** Reads each workflow once (retrying 503s for a few seconds) as the history check's final state. */
export async function finalStates(base: string, ids: readonly string[]): Promise<Map<string, FinalState>> {
  const finals = new Map<string, FinalState>();
  for (const id of ids) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const answer = await timedFetch(base, `/workflows/${id}`);
      if (answer.status === 200) {
        const body = answer.body as { version: number; state: Record<string, unknown> };
        finals.set(id, { version: body.version, marks: new Set(Object.keys(body.state)) });
        break;
      }
      if (answer.status !== 503 || Date.now() > deadline) throw new Error(`final read of ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
      await sleep(100);
    }
  }
  return finals;
}

/** Polls `path` (e.g. /health/ready) every `everyMs` until `stop()`, appending each answer. */
export async function probeLoop(base: string, path: string, answers: Answer[], stop: () => boolean, everyMs = 50): Promise<void> {
  while (!stop()) {
    answers.push(await timedFetch(base, path));
    await sleep(everyMs);
  }
}

/**
 * End time of the first answer satisfying `test` among those that started at or after `from` (or, with
 * `ended`, that ended at or after it: a probe already waiting when a fault began reports it too).
 */
export function firstAfter(answers: readonly Answer[], from: number, test: (a: Answer) => boolean, ended = false): number | undefined {
  const ends = answers.filter((a) => (ended ? a.end : a.start) >= from && test(a)).map((a) => a.end);
  return ends.length ? Math.min(...ends) : undefined;
}

/** Answers whose request was in progress at some point of [from, to]. */
export function during(answers: readonly Answer[], from: number, to: number): Answer[] {
  return answers.filter((a) => a.end >= from && a.start <= to);
}

/** A short, readable account of answers: count per status/problem. */
export function tally(answers: readonly Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const key = a.status === 0 ? `no answer (${a.error ?? ''})` : `${a.status}${a.problem ? ` ${a.problem}` : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export { History };
