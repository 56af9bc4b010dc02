import { describe, expect, it } from '@jest/globals';
import { BoardSessions, SESSION_TTL_MS } from './board-session.js';
import { readCookie } from './board-access.js';
import { safeNext } from './board-http.js';

const principal = { tenant: 'acme', role: 'write' as const, keyId: '0123456789abcdef' };

describe('board sessions', () => {
  it('verifies what it issued, until it expires', () => {
    const sessions = new BoardSessions('s'.repeat(32));
    const cookie = sessions.issue(principal, 1000);
    expect(sessions.verify(cookie, 1000)).toEqual({ keyId: principal.keyId, tenant: 'acme', role: 'write', expiresMs: 1000 + SESSION_TTL_MS });
    expect(sessions.verify(cookie, 1000 + SESSION_TTL_MS)).toBeNull();
  });

  it('refuses a cookie changed in any part, or signed with another secret', () => {
    const sessions = new BoardSessions('s'.repeat(32));
    const cookie = sessions.issue(principal, 1000);
    const parts = cookie.split('.');
    const forged = [
      [...parts.slice(0, 3), 'admin', ...parts.slice(4)].join('.'),
      [...parts.slice(0, 2), 'other', ...parts.slice(3)].join('.'),
      [...parts.slice(0, 4), String(Number(parts[4]) + 1), parts[5]].join('.'),
      `${cookie}x`,
      '',
    ];
    for (const value of forged) expect(sessions.verify(value, 1000)).toBeNull();
    expect(new BoardSessions('t'.repeat(32)).verify(cookie, 1000)).toBeNull();
  });

  it('two replicas with the same secret accept each other\'s sessions and CSRF tokens', () => {
    const a = new BoardSessions('shared-secret-of-at-least-32-chars!!');
    const b = new BoardSessions('shared-secret-of-at-least-32-chars!!');
    const cookie = a.issue(principal);
    expect(b.verify(cookie)).not.toBeNull();
    expect(b.csrfMatches(cookie, a.csrfToken(cookie))).toBe(true);
    expect(b.csrfMatches(cookie, a.csrfToken(a.issue({ ...principal, keyId: 'fedcba9876543210' })))).toBe(false);
    expect(b.csrfMatches(cookie, undefined)).toBe(false);
  });
});

describe('board helpers', () => {
  it('reads one cookie among others', () => {
    expect(readCookie('a=1; wfs_board=v1.x; b=2', 'wfs_board')).toBe('v1.x');
    expect(readCookie('a=1', 'wfs_board')).toBeUndefined();
  });

  it('sends a login only to a board path', () => {
    expect(safeNext('/board/w/x?from=1')).toBe('/board/w/x?from=1');
    for (const bad of ['//evil.example/board', 'https://evil.example', '/board//evil', '/boardx', '/board/\\evil', 42, undefined]) {
      expect(safeNext(bad)).toBe('/board');
    }
  });
});
