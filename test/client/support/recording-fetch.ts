/**
 * A `fetch` to inject into WorkflowClient: records every attempt the client makes (method, URL, headers, status,
 * problem type), can send requests to another origin (a replica that took over), and can cut open event streams
 * the way a lost network would (the client sees its body fail, not its own abort).
 */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Undefined while in flight, and for attempts that got no answer. */
  status?: number;
  /** The suffix of a problem+json answer's type, e.g. `precondition-failed`. */
  problem?: string;
  /** Set when the attempt got no answer (refused, reset, aborted). */
  error?: string;
}

const PROBLEM_PREFIX = 'urn:workflow-store:problem:';

export class RecordingFetch {
  readonly requests: RecordedRequest[] = [];
  private readonly streams = new Set<AbortController>();
  private readonly waiters = new Set<() => void>();

  /** `route`: rewrites each URL before it is sent (default: unchanged). */
  constructor(private readonly route: (url: string) => string = (url) => url) {}

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = this.route(input instanceof Request ? input.url : String(input));
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const recorded: RecordedRequest = { method: init?.method ?? 'GET', url, headers };
    this.requests.push(recorded);
    const isStream = headers.accept === 'text/event-stream';
    const cut = new AbortController();
    const signal = init?.signal ? anyOf(init.signal, cut.signal) : cut.signal;
    if (isStream) this.streams.add(cut);
    try {
      const response = await fetch(url, { ...init, signal });
      recorded.status = response.status;
      if ((response.headers.get('content-type') ?? '').startsWith('application/problem+json')) {
        const type = ((await response.clone().json()) as { type?: string }).type ?? '';
        recorded.problem = type.startsWith(PROBLEM_PREFIX) ? type.slice(PROBLEM_PREFIX.length) : type;
      }
      return response;
    } catch (error) {
      recorded.error = (error as Error).message;
      this.streams.delete(cut);
      throw error;
    } finally {
      this.notify();
    }
  };

  /** Cuts every event stream opened so far; returns how many were open. */
  cutStreams(): number {
    const open = [...this.streams].filter((c) => !c.signal.aborted);
    for (const controller of open) controller.abort(new Error('connection cut by the test'));
    this.streams.clear();
    return open.length;
  }

  /** The attempts matching a method and a path (the URL's pathname). */
  to(method: string, pathname: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && new URL(r.url).pathname === pathname);
  }

  /** Resolves once `condition` holds over the answered attempts (no timing involved: it waits for the event). */
  until(condition: (answered: RecordedRequest[]) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!condition(this.requests.filter((r) => r.status !== undefined || r.error !== undefined))) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

function anyOf(a: AbortSignal, b: AbortSignal): AbortSignal {
  const controller = new AbortController();
  for (const signal of [a, b]) {
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  }
  return controller.signal;
}
