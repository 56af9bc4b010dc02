import type { FastifyRequest } from 'fastify';
import type { ApiKeyRegistry, Principal } from '../auth/api-key-registry.js';
import { OPEN_PRINCIPAL } from '../auth/principal.js';
import { SESSION_COOKIE, SESSION_TTL_MS, type BoardSessions } from './board-session.js';

/** Who is looking at the board, and the CSRF token their actions must carry. */
export interface BoardViewer {
  principal: Principal;
  /** The session cookie's value; undefined on the open board. */
  session: string | undefined;
  csrfToken: string;
  /** The board runs without authentication (no API keys, outside production). */
  open: boolean;
}

/**
 * Board authentication: in keys mode a session cookie made at login from an API key, checked on every request
 * against the keys configured now, so a revoked key (removed from API_KEYS_FILE, re-read every second) ends its
 * sessions at their next request; a key whose tenant or role changed does too (both are signed into the cookie).
 * Without keys every viewer is the open principal (tenant `default`, admin) and the page says so.
 */
export class BoardAccess {
  constructor(
    private readonly registry: ApiKeyRegistry | null,
    private readonly sessions: BoardSessions,
  ) {}

  get open(): boolean {
    return this.registry === null;
  }

  viewerOf(request: FastifyRequest): BoardViewer | null {
    if (this.registry === null) return { principal: OPEN_PRINCIPAL, session: undefined, csrfToken: this.sessions.csrfToken(undefined), open: true };
    const session = readCookie(request.headers.cookie, SESSION_COOKIE);
    return this.viewerOfSession(session);
  }

  /** The viewer of a session cookie value if it is still valid now (used again while an event stream is open). */
  viewerOfSession(session: string | undefined): BoardViewer | null {
    if (this.registry === null) return null;
    const claims = this.sessions.verify(session);
    if (!claims) return null;
    const principal = this.registry.principalOf(claims.keyId);
    if (!principal || principal.tenant !== claims.tenant || principal.role !== claims.role) return null;
    return { principal, session, csrfToken: this.sessions.csrfToken(session), open: false };
  }

  /** A new session for a presented API key, or null when no configured key matches. */
  login(key: string): { cookieValue: string; principal: Principal } | null {
    const principal = this.registry?.verify(key) ?? null;
    return principal ? { cookieValue: this.sessions.issue(principal), principal } : null;
  }

  csrfMatches(viewer: BoardViewer, token: string | undefined): boolean {
    return this.sessions.csrfMatches(viewer.session, token);
  }
}

/** `Set-Cookie` for a session: never readable by scripts, never sent on a cross-site request, only under /board. */
export function sessionCookie(value: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/board; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/board; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

/** One cookie's value from a Cookie header; of several with the name, the first (browsers send the most specific path first). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
