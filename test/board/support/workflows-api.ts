/**
 * The tenant's own HTTP API (bearer key), as the board tests use it: to seed workflows, to write behind an open
 * page's back, and to check what an action did or did not change. Every call is bounded (10 s).
 */
import { inParallel } from '../../support/in-parallel.js';

const PROBLEM_PREFIX = 'urn:workflow-store:problem:';

export interface Workflow {
  id: string;
  type: string;
  status: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  ttlSeconds?: number;
  state?: unknown;
}

export interface Lease {
  id: string;
  token: number;
  owner: string;
  expiresAt: string;
}

export interface Answer<T> {
  status: number;
  /** The problem type's suffix (e.g. `lease-held`) of a problem+json answer. */
  problem?: string;
  body: T;
}

export interface NewWorkflow {
  id: string;
  type: string;
  status?: string;
  state: unknown;
  ttlSeconds?: number;
}

export class WorkflowsApi {
  constructor(
    readonly base: string,
    private readonly key: string | undefined,
  ) {}

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
    const contentType = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(this.key === undefined ? {} : { authorization: `Bearer ${this.key}` }),
        ...(body === undefined ? {} : { 'content-type': contentType }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    const parsed = (text ? JSON.parse(text) : {}) as T & { type?: unknown };
    const type = typeof parsed.type === 'string' && parsed.type.startsWith(PROBLEM_PREFIX) ? parsed.type.slice(PROBLEM_PREFIX.length) : undefined;
    return { status: response.status, ...(type === undefined ? {} : { problem: type }), body: parsed };
  }

  /** A call that must answer `status`: its body. */
  async expect<T = Record<string, unknown>>(status: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const answer = await this.call<T>(method, path, body, headers);
    if (answer.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  create(workflow: NewWorkflow): Promise<Workflow> {
    return this.expect<Workflow>(201, 'POST', '/workflows', workflow);
  }

  put(id: string, body: { type?: string; status?: string; state: unknown }, headers: Record<string, string> = {}): Promise<Workflow> {
    return this.expect<Workflow>(200, 'PUT', `/workflows/${id}`, body, headers);
  }

  patch(id: string, patch: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Workflow> {
    return this.expect<Workflow>(200, 'PATCH', `/workflows/${id}`, patch, headers);
  }

  async remove(id: string): Promise<void> {
    await this.expect(204, 'DELETE', `/workflows/${id}`);
  }

  get(id: string): Promise<Workflow> {
    return this.expect<Workflow>(200, 'GET', `/workflows/${id}`);
  }

  /** The workflow, or undefined once it is gone (404). */
  async find(id: string): Promise<Workflow | undefined> {
    const answer = await this.call<Workflow>('GET', `/workflows/${id}`);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new Error(`GET /workflows/${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  acquireLease(id: string, owner: string, ttlMs: number): Promise<Lease> {
    return this.expect<Lease>(201, 'POST', `/workflows/${id}/lease`, { owner, ttlMs });
  }

  /** Every id of a GET /workflows walk with that query (all pages). */
  async listIds(query: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = await this.expect(
        200,
        'GET',
        `/workflows?limit=1000${query ? `&${query}` : ''}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
      );
      ids.push(...page.items.map((w) => w.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    return ids;
  }

  /** Creates `workflows` with `parallel` requests in flight. */
  async seed(workflows: NewWorkflow[], parallel = 32): Promise<void> {
    await inParallel(workflows.length, parallel, async (i) => {
      await this.create(workflows[i]!);
    });
  }
}
