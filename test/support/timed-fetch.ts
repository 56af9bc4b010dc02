/** One HTTP exchange as a fault test sees it: when it started and ended, and what came back. */
export interface Answer {
  method: string;
  path: string;
  /** 0 when no HTTP answer arrived (connection error, or nothing within the hang limit). */
  status: number;
  /** Problem type suffix (after `urn:workflow-store:problem:`) of a problem+json answer. */
  problem?: string;
  retryAfter: string | null;
  etag: string | null;
  body: unknown;
  error?: string;
  start: number;
  end: number;
  ms: number;
}

const PROBLEM_PREFIX = 'urn:workflow-store:problem:';

/**
 * fetch with its timing, never throwing: a request with no answer within `hangMs` is aborted and reported as
 * status 0, so a hanging server fails an assertion instead of the test's timeout.
 */
export async function timedFetch(base: string, path: string, init: RequestInit = {}, hangMs = 5000): Promise<Answer> {
  const method = init.method ?? 'GET';
  const start = Date.now();
  try {
    const response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(hangMs) });
    const text = await response.text();
    const end = Date.now();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    const type = (body as { type?: unknown } | undefined)?.type;
    return {
      method,
      path,
      status: response.status,
      problem: typeof type === 'string' && type.startsWith(PROBLEM_PREFIX) ? type.slice(PROBLEM_PREFIX.length) : undefined,
      retryAfter: response.headers.get('retry-after'),
      etag: response.headers.get('etag'),
      body,
      start,
      end,
      ms: end - start,
    };
  } catch (error) {
    const end = Date.now();
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { method, path, status: 0, retryAfter: null, etag: null, body: undefined, error: `${(error as Error).name}: ${(error as Error).message}${cause ? ` (${cause})` : ''}`, start, end, ms: end - start };
  }
}

/** The version an ETag header carries (`"7"` → 7). */
export function versionOf(etag: string | null): number | undefined {
  const match = /^"(\d+)"$/.exec(etag ?? '');
  return match ? Number(match[1]) : undefined;
}
