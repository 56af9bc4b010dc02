import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../auth/api-key-registry.js';

/** How long a board session lasts after login. */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
export const SESSION_COOKIE = 'wfs_board';

const KEY_ID = /^[0-9a-f]{16}$/;
const ROLE = /^(read|write|admin)$/;

/** What a session cookie says: whose key, bound to the tenant and role the key had at login, until when. */
export interface BoardSession {
  keyId: string;
  tenant: string;
  role: Principal['role'];
  expiresMs: number;
}

/**
 * Signs and checks board session cookies and CSRF tokens with one secret (BOARD_SESSION_SECRET, or a random one per
 * process). The cookie holds no key: `v1.<keyId>.<tenant>.<role>.<expiresMs>.<mac>`. Whether the key is still
 * configured is checked on every request by the caller (revocation), not here.
 */
export class BoardSessions {
  private readonly secret: Buffer;

  constructor(secret: string | undefined) {
    this.secret = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  issue(principal: Principal, now = Date.now()): string {
    const body = ['v1', principal.keyId, principal.tenant, principal.role, String(now + SESSION_TTL_MS)].join('.');
    return `${body}.${this.mac(`session|${body}`)}`;
  }

  /** The session a cookie value names, when it is well formed, signed by us and not expired; null otherwise. */
  verify(cookie: string | undefined, now = Date.now()): BoardSession | null {
    if (cookie === undefined || cookie.length > 512) return null;
    const parts = cookie.split('.');
    if (parts.length !== 6 || parts[0] !== 'v1') return null;
    const [, keyId = '', tenant = '', role = '', expires = '', mac = ''] = parts;
    if (!this.macMatches(`session|${parts.slice(0, 5).join('.')}`, mac)) return null;
    const expiresMs = Number(expires);
    if (!KEY_ID.test(keyId) || !ROLE.test(role) || !Number.isSafeInteger(expiresMs) || expiresMs <= now) return null;
    return { keyId, tenant, role: role as Principal['role'], expiresMs };
  }

  /**
   * The CSRF token of a session (or of the open board): derived from the cookie, so it needs no storage and a token
   * taken from another session is worthless. An attacker's page can neither read it nor make the browser send it.
   */
  csrfToken(cookie: string | undefined): string {
    return this.mac(`csrf|${cookie ?? 'open'}`);
  }

  csrfMatches(cookie: string | undefined, token: string | undefined): boolean {
    return token !== undefined && this.macMatches(`csrf|${cookie ?? 'open'}`, token);
  }

  private mac(text: string): string {
    return createHmac('sha256', this.secret).update(text, 'utf8').digest('base64url');
  }

  private macMatches(text: string, mac: string): boolean {
    const expected = Buffer.from(this.mac(text), 'utf8');
    const given = Buffer.from(mac, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
