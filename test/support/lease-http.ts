/**
 * HTTP calls of the lease e2e specs: one answer type (status, problem type, ETag, parsed body) for every route, and
 * the probes that read a workflow's version and lease state without changing either.
 */

const PROBLEM_PREFIX = 'urn:workflow-store:problem:';
const JSON_TYPE = { 'content-type': 'application/json' };
const MERGE_PATCH = { 'content-type': 'application/merge-patch+json' };

export interface LeaseBody {
  id: string;
  token: number;
  owner: string;
  expiresAt: string;
}

/** A parsed answer: `problem` is the type's suffix (e.g. `lease-held`) of a problem+json body. */
export interface HttpAnswer<T = Record<string, unknown>> {
  status: number;
  problem?: string;
  etag: string | null;
  contentType: string | null;
  body: T;
}

/** The answer of acquire and renew: a lease, or a problem (its fields, e.g. detail). */
export type LeaseAnswer = HttpAnswer<LeaseBody & Record<string, unknown>>;

export type WriteMethod = 'PUT' | 'PATCH' | 'DELETE' | 'TOUCH';

export interface WriteOptions {
  token?: number | string;
  ifMatch?: string;
  idempotencyKey?: string;
}

export class LeaseHttp {
  /** `headers`: sent with every request (an API key). */
  constructor(
    readonly base: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  async call<T = Record<string, unknown>>(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<HttpAnswer<T>> {
    const response = await fetch(`${this.base}${path}`, { method, headers: { ...this.headers, ...headers }, body, signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    const parsed = (text ? JSON.parse(text) : {}) as T & { type?: unknown };
    const type = typeof parsed.type === 'string' && parsed.type.startsWith(PROBLEM_PREFIX) ? parsed.type.slice(PROBLEM_PREFIX.length) : undefined;
    return {
      status: response.status,
      ...(type === undefined ? {} : { problem: type }),
      etag: response.headers.get('etag'),
      contentType: response.headers.get('content-type'),
      body: parsed,
    };
  }

  async create(id: string, type = 'doc'): Promise<void> {
    const answer = await this.call('POST', '/workflows', JSON_TYPE, JSON.stringify({ id, type, state: { n: 0 } }));
    if (answer.status !== 201) throw new Error(`create ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }

  acquire(id: string, owner: string, ttlMs: number): Promise<LeaseAnswer> {
    return this.call<LeaseBody & Record<string, unknown>>('POST', `/workflows/${id}/lease`, JSON_TYPE, JSON.stringify({ owner, ttlMs }));
  }

  /** An acquisition that must succeed: its lease. */
  async acquired(id: string, owner: string, ttlMs: number): Promise<LeaseBody> {
    const answer = await this.acquire(id, owner, ttlMs);
    if (answer.status !== 201) throw new Error(`acquire ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  renew(id: string, token: number | string, ttlMs: number): Promise<LeaseAnswer> {
    return this.call<LeaseBody & Record<string, unknown>>('PUT', `/workflows/${id}/lease`, { ...JSON_TYPE, 'lease-token': String(token) }, JSON.stringify({ ttlMs }));
  }

  release(id: string, token: number | string): Promise<HttpAnswer> {
    return this.call('DELETE', `/workflows/${id}/lease`, { 'lease-token': String(token) });
  }

  /** One write of the workflow (PUT replaces the state with `{ n }`, PATCH merges it, TOUCH is POST …/touch). */
  write(method: WriteMethod, id: string, options: WriteOptions = {}, n = 1): Promise<HttpAnswer> {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers['lease-token'] = String(options.token);
    if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    const path = `/workflows/${id}`;
    switch (method) {
      case 'PUT':
        return this.call('PUT', path, { ...JSON_TYPE, ...headers }, JSON.stringify({ state: { n } }));
      case 'PATCH':
        return this.call('PATCH', path, { ...MERGE_PATCH, ...headers }, JSON.stringify({ state: { n } }));
      case 'DELETE':
        return this.call('DELETE', path, headers);
      case 'TOUCH':
        return this.call('POST', `${path}/touch`, { ...JSON_TYPE, ...headers }, '{}');
    }
  }

  /** The workflow's version, or 0 when it does not exist. */
  async version(id: string): Promise<number> {
    const answer = await this.call<{ version?: number }>('GET', `/workflows/${id}`);
    return answer.status === 404 ? 0 : Number(answer.body.version);
  }


  /**
   * Who holds the live lease and until when, or null when none is live, read without changing anything: a DELETE
   * without a token and with an If-Match no version has is refused either way, by the lease first (lease-held, both
   * backends fence before comparing versions), else by the version (412).
   */
  async liveLease(id: string): Promise<{ owner: string; expiresAt: string } | null> {
    const answer = await this.call('DELETE', `/workflows/${id}`, { 'if-match': '"999999999"' });
    if (answer.problem === 'lease-held') return { owner: String(answer.body.owner), expiresAt: String(answer.body.expiresAt) };
    if (answer.status === 412) return null;
    throw new Error(`lease probe of ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }

  /** Every stalled workflow of the tenant (all pages). */
  async stalledIds(): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page = await this.call<{ items: { id: string }[]; nextCursor: string | null }>('GET', `/workflows?stalled=true&limit=1000${query}`);
      if (page.status !== 200) throw new Error(`stalled list: ${page.status} ${JSON.stringify(page.body)}`);
      ids.push(...page.body.items.map((w) => w.id));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    return ids;
  }
}

export { eventually } from './eventually.js';
