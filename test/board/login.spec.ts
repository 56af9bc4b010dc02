/**
 * /board login in Chromium (keys mode): a wrong key is refused with 401 and the error on the re-rendered form; an
 * API key logs in with an HttpOnly, SameSite=Strict session cookie scoped to /board that page scripts cannot read;
 * logging out clears it and the board asks for a key again.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { BoardEnv } from './support/board-env.js';
import type { BoardSession } from './support/board-session.js';

let board: BoardEnv;

beforeAll(async () => {
  board = await BoardEnv.start('login');
}, 60_000);
afterEach(() => board.closeSessions());
afterAll(async () => {
  await board?.stop();
});

const sessionCookie = async (session: BoardSession) => (await session.context.cookies()).find((c) => c.name === 'wfs_board');

describe('board login', () => {
  it('sends a visitor without a session to the login page', async () => {
    const session = await board.session();
    await session.goto('/board');
    await session.page.locator('body[data-page="login"]').waitFor({ state: 'attached' });
    expect(new URL(session.page.url()).pathname).toBe('/board/login');
    await expect(session.page.locator('input[name="key"]').count()).resolves.toBe(1);
    // The key field is labelled, and it is not echoed as plain text.
    await expect(session.page.getByLabel(/key/i).count()).resolves.toBeGreaterThan(0);
  });

  it('refuses a wrong key with 401 and #login-error, and sets no cookie', async () => {
    const session = await board.session();
    session.guard.expectConsoleError(/status of 401/);
    await session.goto('/board/login');
    await session.page.locator('input[name="key"]').fill('wfs_not-a-key-of-this-service');
    const [response] = await Promise.all([
      session.page.waitForResponse((r) => new URL(r.url()).pathname === '/board/login' && r.request().method() === 'POST'),
      session.page.locator('input[name="key"]').press('Enter'),
    ]);
    expect(response.status()).toBe(401);
    await session.page.waitForLoadState('load');
    const error = session.page.locator('#login-error');
    await error.waitFor({ state: 'visible' });
    await expect(error.getAttribute('role')).resolves.toBe('alert');
    expect((await error.innerText()).trim().length).toBeGreaterThan(0);
    await expect(session.page.locator('body').getAttribute('data-page')).resolves.toBe('login');
    await expect(sessionCookie(session)).resolves.toBeUndefined();
  });

  it('logs in with a write key: the list page, an HttpOnly SameSite=Strict cookie on /board', async () => {
    const session = await board.loggedIn('write');
    const page = session.page;
    expect(new URL(page.url()).pathname).toBe('/board');
    const body = page.locator('body');
    await expect(body.getAttribute('data-page')).resolves.toBe('list');
    await expect(body.getAttribute('data-role')).resolves.toBe('write');
    await expect(body.getAttribute('data-tenant')).resolves.toBe(board.tenant);
    expect((await body.getAttribute('data-csrf'))?.length ?? 0).toBeGreaterThanOrEqual(16);
    await expect(page.locator('main#main h1').innerText()).resolves.toBe('Workflows');
    await expect(page.locator('header.top').innerText()).resolves.toContain(board.tenant);

    const cookie = await sessionCookie(session);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/board' });
    // HttpOnly: page scripts cannot read it.
    await expect(page.evaluate(() => String((globalThis as any).document.cookie))).resolves.not.toContain('wfs_board');
    // The cookie does not carry the API key.
    expect(cookie?.value).not.toContain(board.keys.write.key);
  });

  it('logs out: back to the login page, the cookie cleared, /board asks for a key again', async () => {
    const session = await board.loggedIn('write');
    const page = session.page;
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/board/login', { waitUntil: 'load' }),
      page.locator('header.top form[action="/board/logout"] button, header.top form[action="/board/logout"] [type="submit"]').first().click(),
    ]);
    await expect(page.locator('body').getAttribute('data-page')).resolves.toBe('login');
    await expect(sessionCookie(session)).resolves.toBeUndefined();
    await session.goto('/board');
    await expect(page.locator('body').getAttribute('data-page')).resolves.toBe('login');
  });
});
