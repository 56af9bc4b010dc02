import { ProblemError, readProblem, WorkflowClientNetworkError } from './errors.js';
import { parseRetryAfter, retryableStatus, retryDelayMs, sleep, type RetryClass, type RetryPolicy } from './retry.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One logical request; the transport turns it into one or more attempts. */
export interface RequestSpec {
  method: HttpMethod;
  /** Path with its parameters already encoded, e.g. `/workflows/inv%2042`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Sent unchanged with every attempt (an Idempotency-Key stays the same across retries). */
  headers?: Record<string, string | undefined>;
  /** JSON-encoded when present. */
  body?: unknown;
  contentType?: string;
  accept?: string;
  retry: RetryClass;
  /** Statuses besides 2xx that are answers, not errors (304). */
  accepted?: readonly number[];
  signal?: AbortSignal;
}

/** A successful answer with its JSON body parsed (undefined when empty). */
export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface TransportConfig {
  baseUrl: string;
  apiKey?: string;
  fetch: typeof fetch;
  retry: RetryPolicy;
  /** Per attempt, until the whole body is read (for a stream: until its head). Undefined: no limit. */
  timeoutMs?: number;
}

/** Marks our own per-attempt timeout, told apart from the caller's abort. */
class AttemptTimeout extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Sends requests with retries: what may be retried is the spec's `retry` class (see retry.ts); the wait between
 * attempts is the service's Retry-After or exponential backoff with jitter. Knows nothing about the routes.
 */
export class HttpTransport {
  constructor(private readonly config: TransportConfig) {}

  /** Sends and reads the whole JSON answer; throws ProblemError or WorkflowClientNetworkError. */
  async send(spec: RequestSpec): Promise<Answer> {
    return this.withRetries(spec, async (response) => {
      const text = await response.text();
      // A body that is not JSON on a 2xx is not the service's: the caller cannot use it.
      return { status: response.status, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
    });
  }

  /** Sends and returns the response once its head is in (the body is left to the caller: an event stream). */
  async open(spec: RequestSpec): Promise<Response> {
    // The timeout covers connecting; a quiet stream is not a dead one. The caller's signal stays linked: aborting it
    // ends the stream.
    return this.withRetries(spec, async (response) => response, true);
  }

  url(path: string, query?: RequestSpec['query']): string {
    const base = this.config.baseUrl.replace(/\/+$/, '');
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(name, String(value));
    const search = params.toString();
    return `${base}${path}${search ? `?${search}` : ''}`;
  }

  private async withRetries<T>(spec: RequestSpec, onAnswer: (response: Response) => Promise<T>, stream = false): Promise<T> {
    const url = this.url(spec.path, spec.query);
    const policy = this.config.retry;
    const init = this.requestInit(spec);
    for (let attempt = 1; ; attempt++) {
      const signal = new AttemptSignal(spec.signal, this.config.timeoutMs);
      let handedOver = false;
      let wait: number;
      try {
        const response = await this.config.fetch(url, { ...init, signal: signal.signal });
        if (response.ok || spec.accepted?.includes(response.status)) {
          const result = await onAnswer(response);
          handedOver = stream;
          return result;
        }
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
        const problem = await readProblem(response, retryAfter);
        if (attempt >= policy.attempts || !retryableStatus(spec.retry, problem.status, problem.code)) throw problem;
        wait = retryDelayMs(policy, attempt, retryAfter);
      } catch (error) {
        if (error instanceof ProblemError || error instanceof SyntaxError) throw error;
        if (spec.signal?.aborted) throw spec.signal.reason;
        // No answer (refused, reset, timed out): a `once` request may have been applied, so it is not repeated.
        if (attempt >= policy.attempts || spec.retry === 'once') {
          throw new WorkflowClientNetworkError(spec.method, url, attempt, signal.timedOut, error);
        }
        wait = retryDelayMs(policy, attempt, undefined);
      } finally {
        if (handedOver) signal.stopTimer();
        else signal.dispose();
      }
      await sleep(wait, spec.signal);
    }
  }

  private requestInit(spec: RequestSpec): RequestInit {
    const headers: Record<string, string> = { accept: spec.accept ?? 'application/json' };
    if (this.config.apiKey !== undefined) headers.authorization = `Bearer ${this.config.apiKey}`;
    if (spec.body !== undefined) headers['content-type'] = spec.contentType ?? 'application/json';
    for (const [name, value] of Object.entries(spec.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
    return { method: spec.method, headers, body: spec.body === undefined ? undefined : JSON.stringify(spec.body) };
  }
}

/** One attempt's signal: the caller's, plus our timeout (cleared once the answer is read). */
class AttemptSignal {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onOuterAbort = (): void => this.controller.abort(this.outer?.reason);
  timedOut = false;

  constructor(
    private readonly outer: AbortSignal | undefined,
    timeoutMs: number | undefined,
  ) {
    // Linked by hand rather than AbortSignal.any, which older browsers lack.
    if (outer?.aborted) this.controller.abort(outer.reason);
    else outer?.addEventListener('abort', this.onOuterAbort, { once: true });
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.controller.abort(new AttemptTimeout(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Also unlinks the caller's signal, so one long-lived signal does not collect a listener per request. */
  dispose(): void {
    this.stopTimer();
    this.outer?.removeEventListener('abort', this.onOuterAbort);
  }
}
