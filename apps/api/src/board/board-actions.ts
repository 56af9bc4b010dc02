import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TenantStores } from '../auth/tenant-stores.js';
import { eventStreamRequestFrom } from '../events/event-stream-request.js';
import type { EventStreams } from '../events/event-streams.js';
import { requiredLeaseTokenFrom } from '../leases/lease-token-header.js';
import { ProblemException } from '../problem/problem.exception.js';
import { parseEntityTags } from '../workflows/conditional-request.js';
import type { BoardAccess, BoardViewer } from './board-access.js';
import { BOARD_SECURITY_HEADERS, isCrossSite, sendBoardProblem, viewerOr401 } from './board-http.js';

export interface BoardActionDeps {
  access: BoardAccess;
  stores: TenantStores;
  streams: EventStreams;
  log: (message: string) => void;
}

/** How often an open event stream checks that its session is still valid (a revoked key ends it within this). */
const SESSION_CHECK_MS = 1000;

/**
 * The board's writes (touch, delete, release a lease) and its event stream. Every write is conditional on the
 * version the page showed (If-Match, checked inside the store's atomic script, so a write in between makes it fail
 * with 412), needs a write role, and must come from the board's own page (CSRF token, same origin).
 */
export function registerBoardActions(board: FastifyInstance, deps: BoardActionDeps): void {
  const { access, stores, log } = deps;

  board.post('/w/:id/:action', async (request, reply) => {
    const viewer = viewerOr401(access, request, reply);
    if (!viewer) return;
    try {
      refuseForgedOrReadOnly(access, viewer, request);
      const { id, action } = request.params as { id: string; action: string };
      const expectedVersion = versionToMatch(request);
      const store = stores.of(request);
      if (action === 'touch') {
        // The page needs the new expiry, not the state (which may be 1 MiB).
        const { state: _state, ...meta } = await store.touch(id, { expectedVersion });
        return reply.status(200).header('cache-control', 'no-store').send(meta);
      }
      if (action === 'delete') {
        await store.delete(id, { expectedVersion });
        return reply.status(204).send();
      }
      if (action === 'release') {
        await store.releaseLease(id, requiredLeaseTokenFrom(request.headers['lease-token']), { expectedVersion });
        return reply.status(204).send();
      }
      throw new ProblemException('route-not-found', `No board action ${action}: touch, delete or release`);
    } catch (error) {
      sendBoardProblem(request, reply, error, true, log);
    }
  });

  board.get('/events', async (request, reply) => {
    const viewer = viewerOr401(access, request, reply);
    if (!viewer) return;
    const ended = new AbortController();
    let check: NodeJS.Timeout | undefined;
    if (!viewer.open) {
      check = setInterval(() => {
        if (access.viewerOfSession(viewer.session)) return;
        clearInterval(check);
        ended.abort();
      }, SESSION_CHECK_MS);
      check.unref();
      request.raw.once('close', () => clearInterval(check));
    }
    try {
      const wanted = eventStreamRequestFrom(request.query as Record<string, unknown>, request.headers['last-event-id'], ['type', 'status']);
      // The stream is written by hand (hijacked), past the onSend hook: it takes the reply's headers set so far.
      void reply.headers(BOARD_SECURITY_HEADERS);
      await deps.streams.serve(request, reply, stores.of(request), wanted, ended.signal);
    } catch (error) {
      clearInterval(check);
      sendBoardProblem(request, reply, error, false, log);
    }
  });
}

function refuseForgedOrReadOnly(access: BoardAccess, viewer: BoardViewer, request: FastifyRequest): void {
  if (isCrossSite(request)) throw new ProblemException('forbidden', 'Refused: the request came from another site');
  const token = request.headers['x-csrf-token'];
  if (typeof token !== 'string' || !access.csrfMatches(viewer, token)) {
    throw new ProblemException('forbidden', 'Refused: missing or wrong X-CSRF-Token (reload the board page and try again)');
  }
  if (viewer.principal.role === 'read') throw new ProblemException('forbidden', 'This session\'s key has the read role; write is needed to change workflows');
}

/** The one version the page showed, from If-Match: the board never writes without it. */
function versionToMatch(request: FastifyRequest): number {
  const condition = parseEntityTags(request.headers['if-match'], 'If-Match');
  if (!condition || condition.any || condition.strong.length !== 1 || condition.weak.length > 0) {
    throw new ProblemException('precondition-required', 'Board actions need If-Match with the one version the page shows, e.g. "3"');
  }
  return condition.strong[0] as number;
}
