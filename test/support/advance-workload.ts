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
  /** Most operations to run. */
  maxOperations?: number;
  /** Give up retrying an operation after this time (it then stays "unknown"). */
  giveUpMs?: number;
  /** Pause before retrying after a 503 or no answer. */
  retryDelayMs?: number;
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
 * One client advancing its workflow: each operation is a merge patch adding its own mark, sent with its own
 * Idempotency-Key and retried with the same key after a 503 or no answer until it is acknowledged. After each
 * acknowledged write the workflow is read back (history reads for H4).
 */
export async function advanceLoop(options: AdvanceOptions): Promise<void> {
  const { bases, id, history, answers } = options;
  const retryDelayMs = options.retryDelayMs ?? 25;
  for (let n = 0; n < (options.maxOperations ?? Infinity) && !options.stop(); n++) {
    const op = `${id}.op${n}`;
    const base = bases[n % bases.length] as string;
    const firstTry = Date.now();
    for (;;) {
      const answer = await timedFetch(base, `/workflows/${id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json', 'idempotency-key': op },
        body: JSON.stringify({ state: { [op]: n } }),
      });
      answers.push(answer);
      const outcome = outcomeOf(answer);
      history.write({ id, op, mark: op, outcome, version: versionOf(answer.etag), start: answer.start, end: answer.end });
      if (outcome === 'ok') break;
      if (answer.status !== 0 && answer.status !== 503) return; // anything but "try again" ends the client; the test asserts on answers
      if (Date.now() - firstTry > (options.giveUpMs ?? 15_000)) return;
      await sleep(retryDelayMs);
    }
    const read = await timedFetch(base, `/workflows/${id}`);
    answers.push(read);
    if (read.status === 200 || read.status === 404) {
      history.read({ id, version: read.status === 200 ? (versionOf(read.etag) ?? null) : null, start: read.start, end: read.end });
    }
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

/** End time of the first answer after `from` that satisfies `test`, or undefined. */
export function firstAfter(answers: readonly Answer[], from: number, test: (a: Answer) => boolean): number | undefined {
  const ends = answers.filter((a) => a.start >= from && test(a)).map((a) => a.end);
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
