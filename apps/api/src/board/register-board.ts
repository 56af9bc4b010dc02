import type { FastifyInstance } from 'fastify';
import type { ApiKeyRegistry } from '../auth/api-key-registry.js';
import type { TenantStores } from '../auth/tenant-stores.js';
import type { BoardOptions } from '../config/api.config.js';
import type { EventStreams } from '../events/event-streams.js';
import { problem } from '../problem/problem-types.js';
import { sendProblem } from '../problem/send-problem.js';
import { BoardAccess, clearedSessionCookie, sessionCookie } from './board-access.js';
import { registerBoardActions } from './board-actions.js';
import { loadBoardAssets } from './board-assets.js';
import { BOARD_SECURITY_HEADERS, isCrossSite, safeNext, sendBoardProblem, sendPage } from './board-http.js';
import { registerBoardPages } from './board-pages.js';
import { BoardSessions } from './board-session.js';
import { errorPage } from './pages/layout.js';
import { loginPage } from './pages/login-page.js';

export interface BoardDeps {
  options: BoardOptions;
  /** The API's keys (keys mode), or null when the service runs open. */
  registry: ApiKeyRegistry | null;
  stores: TenantStores;
  streams: EventStreams;
  eventsEnabled: boolean;
  warn: (message: string) => void;
}

/** The largest login or logout form: a key is at most 512 characters. */
const FORM_LIMIT_BYTES = 4096;

/**
 * The web board at /board: server-rendered pages, a few small scripts of our own, and actions that go through the
 * same store calls as the API. It authenticates with its own session cookie (the API's bearer-key hook lets /board
 * through), scoped to the key's tenant and role.
 */
export async function registerBoard(fastify: FastifyInstance, deps: BoardDeps): Promise<void> {
  const access = new BoardAccess(deps.registry, new BoardSessions(deps.options.sessionSecret));
  if (deps.registry && deps.options.sessionSecret === undefined) {
    deps.warn('BOARD_SESSION_SECRET is not set: a board session is valid only on the replica that made it; give every replica the same secret');
  }
  const { assets, missing } = loadBoardAssets();
  if (missing.length > 0) deps.warn(`board assets missing (${missing.join(', ')}): run npm run build`);

  await fastify.register(
    async (board) => {
      board.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT_BYTES }, (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      });
      // What fails before a handler runs (a body that does not parse, an empty JSON body) is problem+json as in the API.
      board.setErrorHandler((error, request, reply) => sendBoardProblem(request, reply, error, false, deps.warn));
      board.addHook('onSend', (_request, reply, payload, done) => {
        void reply.headers(BOARD_SECURITY_HEADERS);
        done(null, payload);
      });

      board.get('/assets/:name', (request, reply) => {
        const asset = assets.get((request.params as { name: string }).name);
        if (!asset) return sendProblem(reply, problem('route-not-found', 'No such board asset'), request.url);
        if (request.headers['if-none-match'] === asset.etag) return reply.status(304).header('etag', asset.etag).send();
        return reply.header('content-type', asset.contentType).header('cache-control', 'no-cache').header('etag', asset.etag).send(asset.body);
      });

      board.get('/login', (request, reply) => {
        const next = safeNext((request.query as Record<string, unknown>).next);
        if (access.open || access.viewerOf(request)) return reply.redirect(next, 303);
        return sendPage(reply, 200, loginPage(next));
      });

      board.post('/login', (request, reply) => {
        const form = (request.body ?? {}) as Record<string, unknown>;
        const next = safeNext(form.next);
        if (access.open) return reply.redirect(next, 303);
        if (isCrossSite(request)) return sendPage(reply, 403, loginPage(next, 'Refused: the login came from another site.'));
        const session = typeof form.key === 'string' ? access.login(form.key) : null;
        if (!session) return sendPage(reply, 401, loginPage(next, 'Unknown or revoked API key.'));
        return reply.header('set-cookie', sessionCookie(session.cookieValue, request.protocol === 'https')).redirect(next, 303);
      });

      board.post('/logout', (request, reply) => {
        const viewer = access.viewerOf(request);
        const token = ((request.body ?? {}) as Record<string, unknown>).csrf;
        if (viewer && (isCrossSite(request) || typeof token !== 'string' || !access.csrfMatches(viewer, token))) {
          return sendPage(reply, 403, errorPage(viewer, 403, 'Forbidden', 'Refused: the logout did not come from this board page.'));
        }
        return reply.header('set-cookie', clearedSessionCookie(request.protocol === 'https')).redirect('/board/login', 303);
      });

      registerBoardPages(board, { access, stores: deps.stores, eventsEnabled: deps.eventsEnabled, log: deps.warn });
      registerBoardActions(board, { access, stores: deps.stores, streams: deps.streams, log: deps.warn });
    },
    { prefix: '/board' },
  );
}
