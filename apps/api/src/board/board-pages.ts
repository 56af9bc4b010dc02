import type { FastifyInstance } from 'fastify';
import { EventsDisabledError, VersionNotKeptError, type JsonObject, type Workflow, type WorkflowStore } from '#workflow-store';
import type { TenantStores } from '../auth/tenant-stores.js';
import { ProblemException } from '../problem/problem.exception.js';
import type { BoardAccess } from './board-access.js';
import { sendBoardProblem, sendErrorPage, sendPage, viewerOr401, viewerOrLogin } from './board-http.js';
import { diffJson } from './json-diff.js';
import { listPage, queryOf, type ListRequest } from './pages/list-page.js';
import { workflowPage, type VersionDiff } from './pages/workflow-page.js';
import { workflowRow } from './pages/workflow-row.js';

export interface BoardPageDeps {
  access: BoardAccess;
  stores: TenantStores;
  eventsEnabled: boolean;
  log: (message: string) => void;
}

/** How many events the workflow page lists. */
const EVENTS_SHOWN = 50;
/** The live list resumes the feed from this long before the page was rendered, so no write between render and connect is missed. */
const LIVE_OVERLAP_MS = 2000;

/** The pages: the list, a workflow, and the single row the live list fetches for a new workflow. */
export function registerBoardPages(board: FastifyInstance, deps: BoardPageDeps): void {
  const { access, stores, log } = deps;

  board.get('/', async (request, reply) => {
    const viewer = viewerOrLogin(access, request, reply);
    if (!viewer) return;
    try {
      const wanted = listRequestFrom(request.query as Record<string, unknown>);
      const store = stores.of(request);
      const { stalled, ...filter } = wanted;
      // Taken before the read: the page inserts only workflows created after it (older ones are in the index the read saw).
      const nowMs = Date.now();
      const [page, total] = await Promise.all([store.list(stalled ? { ...filter, stalled } : filter), store.count()]);
      // Unfiltered: the feed filters by labels after the write, so a filtered stream would never say that a row left
      // the filter (review → approved); the page filters by the labels it was rendered with.
      const eventsUrl = deps.eventsEnabled && !wanted.stalled ? `/board/events${queryOf({ after: `${nowMs - LIVE_OVERLAP_MS}-0-0` })}` : undefined;
      sendPage(reply, 200, listPage({ viewer, request: wanted, page, total, eventsUrl, nowMs }));
    } catch (error) {
      sendErrorPage(request, reply, viewer, error, log);
    }
  });

  board.get('/w/:id', async (request, reply) => {
    const viewer = viewerOrLogin(access, request, reply);
    if (!viewer) return;
    try {
      const { id } = request.params as { id: string };
      const store = stores.of(request);
      const stored = await store.getJson(id);
      if (!stored) throw new ProblemException('not-found', `No workflow ${id} in tenant ${viewer.principal.tenant} (it may have expired or been deleted)`);
      const [history, lease, events] = await Promise.all([
        store.history(id),
        store.getLease(id),
        deps.eventsEnabled ? store.events(id, { limit: EVENTS_SHOWN }).catch(offWhenDisabled) : Promise.resolve('off' as const),
      ]);
      if (!history) throw new ProblemException('not-found', `Workflow ${id} expired or was deleted while the page was made`);
      const current = { ...stored.workflow, state: JSON.parse(stored.stateJson) as JsonObject };
      const diff = await versionDiff(store, current, request.query as Record<string, unknown>, history.versions[1]?.version);
      sendPage(reply, 200, workflowPage({ viewer, workflow: stored.workflow, stateJson: stored.stateJson, history, diff, events, lease, nowMs: Date.now() }));
    } catch (error) {
      sendErrorPage(request, reply, viewer, error, log);
    }
  });

  board.get('/w/:id/row', async (request, reply) => {
    const viewer = viewerOr401(access, request, reply);
    if (!viewer) return;
    try {
      const { id } = request.params as { id: string };
      const stored = await stores.of(request).getJson(id);
      if (!stored) throw new ProblemException('not-found', `No workflow ${id}`);
      void reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(workflowRow(stored.workflow, Date.now()).text);
    } catch (error) {
      sendBoardProblem(request, reply, error, false, log);
    }
  });
}

function offWhenDisabled(error: unknown): 'off' {
  if (error instanceof EventsDisabledError) return 'off';
  throw error;
}

/** The list's query: the filter form's fields, the page size and the cursor. Empty fields mean "any". */
function listRequestFrom(query: Record<string, unknown>): ListRequest {
  const allowed = new Set(['type', 'status', 'stalled', 'limit', 'cursor']);
  const text = (name: string): string | undefined => {
    const value = query[name];
    if (value !== undefined && typeof value !== 'string') throw new ProblemException('invalid-input', `${name} must be given once`);
    return value === '' ? undefined : value;
  };
  for (const name of Object.keys(query)) if (!allowed.has(name)) throw new ProblemException('invalid-input', `unknown query parameter ${name}; allowed: ${[...allowed].join(', ')}`);
  const limitText = text('limit');
  const limit = limitText === undefined ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new ProblemException('invalid-input', 'limit: must be a whole number from 1 to 500');
  const stalled = text('stalled') === '1';
  const type = text('type');
  const status = text('status');
  if (stalled && (type !== undefined || status !== undefined)) {
    throw new ProblemException('invalid-input', 'Stalled workflows are listed across every type and status: clear Type and Status, or untick Stalled only');
  }
  const cursor = text('cursor');
  return { stalled, limit, ...(type === undefined ? {} : { type }), ...(status === undefined ? {} : { status }), ...(cursor === undefined ? {} : { cursor }) };
}

/**
 * The diff the page shows: `from`/`to` from the query, else the previous version against the current one. The
 * current version is the one the page already read (not read again: it could have moved on meanwhile).
 */
async function versionDiff(store: WorkflowStore, current: Workflow, query: Record<string, unknown>, previous: number | undefined): Promise<VersionDiff | undefined> {
  const { id } = current;
  const from = versionParam(query.from) ?? previous;
  const to = versionParam(query.to) ?? current.version;
  if (from === undefined) return undefined;
  const read = (version: number): Promise<Workflow | null> => (version === current.version ? Promise.resolve(current) : store.getVersion(id, version));
  try {
    const [before, after] = await Promise.all([read(from), read(to)]);
    if (!before || !after) throw new ProblemException('not-found', `Workflow ${id} expired or was deleted while the page was made`);
    const pick = (w: typeof before) => ({ type: w.type, status: w.status, state: w.state });
    return { from, to, kind: 'shown', diff: diffJson(pick(before), pick(after), '') };
  } catch (error) {
    if (error instanceof VersionNotKeptError) return { from, to, kind: 'not-kept', oldest: error.oldestVersion };
    throw error;
  }
}

function versionParam(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^[1-9]\d{0,15}$/.test(value)) throw new ProblemException('invalid-input', 'from and to must be version numbers');
  return Number(value);
}

