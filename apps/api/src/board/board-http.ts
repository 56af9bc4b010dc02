import type { FastifyReply, FastifyRequest } from 'fastify';
import { problem } from '../problem/problem-types.js';
import { sendProblem } from '../problem/send-problem.js';
import { toProblem } from '../problem/to-problem.js';
import type { BoardAccess, BoardViewer } from './board-access.js';
import type { SafeHtml } from './html.js';
import { errorPage } from './pages/layout.js';

/**
 * Every board answer: a policy that lets a page load scripts, styles and connections from this origin only (no
 * inline script or style, no eval), never be framed, and not leak its URL (workflow ids) to other sites.
 */
export const BOARD_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export function sendPage(reply: FastifyReply, status: number, page: SafeHtml): void {
  void reply.status(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(page.text);
}

/** A page request that failed: the problem's title and detail as a page with the problem's status. */
export function sendErrorPage(request: FastifyRequest, reply: FastifyReply, viewer: BoardViewer | null, error: unknown, log: (message: string) => void): void {
  const { body, internal } = toProblem(error, { conditional: false });
  if (internal) log(`board ${request.method} ${request.url} failed: ${(error as Error).message}`);
  if (body.status === 503) void reply.header('retry-after', '1');
  sendPage(reply, body.status, errorPage(viewer, body.status, body.title, body.detail));
}

/** A fragment, stream or action that failed: problem+json, like the API's. */
export function sendBoardProblem(request: FastifyRequest, reply: FastifyReply, error: unknown, conditional: boolean, log: (message: string) => void): void {
  const { body, internal } = toProblem(error, { conditional });
  if (internal) log(`board ${request.method} ${request.url} failed: ${(error as Error).message}`);
  sendProblem(reply, body, request.url);
}

/** The viewer of a page request; otherwise the answer is a redirect to the login page (and null). */
export function viewerOrLogin(access: BoardAccess, request: FastifyRequest, reply: FastifyReply): BoardViewer | null {
  const viewer = access.viewerOf(request);
  if (viewer) request.principal = viewer.principal;
  else void reply.header('cache-control', 'no-store').redirect(`/board/login?next=${encodeURIComponent(request.url)}`, 303);
  return viewer;
}

/** The viewer of a fragment, stream or action request; otherwise a 401 problem (and null). */
export function viewerOr401(access: BoardAccess, request: FastifyRequest, reply: FastifyReply): BoardViewer | null {
  const viewer = access.viewerOf(request);
  if (viewer) request.principal = viewer.principal;
  else sendProblem(reply, problem('unauthorized', 'No board session, or it ended (logged out, expired, or its key was revoked): log in again at /board/login'), request.url);
  return viewer;
}

/**
 * A request another site made the browser send: its Origin (or Fetch Metadata) names another origin. SameSite=Strict
 * already keeps the session cookie off such requests; this refuses them also on the open board, which has no cookie.
 */
export function isCrossSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = request.headers.origin;
  return origin !== undefined && origin !== `${request.protocol}://${request.headers.host ?? ''}`;
}

/** Where to go after login: a board path given by the login form, or the list. Never another site (`//x`, `/\x`). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/board(?:[/?#]|$)/.test(next) && !/[\\]|\/\//.test(next) && next.length <= 2048 ? next : '/board';
}
