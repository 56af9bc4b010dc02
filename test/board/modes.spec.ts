/**
 * How the board is served by mode: open mode (no keys, not production) shows the "unauthenticated" banner on every
 * page and needs no login; production with AUTH_MODE=none refuses to boot while the board is on, naming
 * BOARD_ENABLED, and boots with BOARD_ENABLED=false, which takes /board away (404) and leaves the API.
 * Its own API processes (memory backend: nothing here needs Redis); Chromium is the project's shared one.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { ApiProcess } from '../support/api-process.js';
import { connectChromium } from './support/board-env.js';
import { BoardSession } from './support/board-session.js';

const SECRET = 'board-modes-test-session-secret-0123456789';

let browser: Browser;
let open: ApiProcess;
let disabled: ApiProcess;

beforeAll(async () => {
  [browser, open, disabled] = await Promise.all([
    connectChromium(),
    ApiProcess.start({ NODE_ENV: 'development', BOARD_SESSION_SECRET: SECRET }),
    ApiProcess.start({ NODE_ENV: 'production', AUTH_MODE: 'none', BOARD_ENABLED: 'false' }),
  ]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all([open?.stop(), disabled?.stop()]);
});

const get = (url: string): Promise<Response> => fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });

describe('open mode', () => {
  it('shows the unauthenticated banner on the list and the workflow page, without a login', async () => {
    const created = await fetch(`${open.url}/workflows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'open-1', type: 'invoice', status: 'uploaded', state: { pages: 2 } }),
    });
    expect(created.status).toBe(201);
    const session = await BoardSession.open(browser, { base: open.url });
    try {
      for (const path of ['/board', '/board/w/open-1']) {
        await session.goto(path);
        expect(new URL(session.page.url()).pathname).toBe(path);
        const banner = session.page.locator('.banner-open');
        await banner.waitFor({ state: 'visible' });
        await expect(banner.getAttribute('role')).resolves.toBe('alert');
        expect((await banner.innerText()).toLowerCase()).toMatch(/unauthenticated|no authentication|without authentication|open/);
      }
      await expect(session.page.locator('body').getAttribute('data-page')).resolves.toBe('workflow');
      expect(session.guard.problems()).toEqual([]);
    } finally {
      await session.close();
    }
    // The login page has nothing to do: 303 to the board.
    const login = await get(`${open.url}/board/login`);
    expect(login.status).toBe(303);
    expect(new URL(login.headers.get('location') ?? '', open.url).pathname).toBe('/board');
  });
});

describe('BOARD_ENABLED=false', () => {
  it('boots in production with AUTH_MODE=none, answers 404 for /board and its assets, and the API works', async () => {
    for (const path of ['/board', '/board/login', '/board/w/x', '/board/events', '/board/assets/board.css', '/board/assets/list-page.js']) {
      const response = await get(`${disabled.url}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
    }
    const login = await fetch(`${disabled.url}/board/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'key=x',
      redirect: 'manual',
    });
    expect(login.status).toBe(404);
    expect((await get(`${disabled.url}/workflows`)).status).toBe(200);
    // The board is on by default: the open-mode API serves it.
    expect((await get(`${open.url}/board`)).status).toBe(200);
  });
});

describe('production', () => {
  it('refuses to boot with AUTH_MODE=none while the board is on, naming BOARD_ENABLED', async () => {
    const run = await ApiProcess.runToExit({ NODE_ENV: 'production', AUTH_MODE: 'none', BOARD_SESSION_SECRET: SECRET });
    expect(run.code).toBe(1);
    const fatal = run.output.split('\n').find((line) => line.includes('BOARD_ENABLED'));
    expect(fatal).toBeDefined();
    console.log(`production refusal: ${(JSON.parse(fatal!) as { msg: string }).msg}`);
  });
});
