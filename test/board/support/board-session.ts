/**
 * A browser context on the board (its own cookie jar) and its first page, under a guard that records every request
 * URL, console message and uncaught page error of the context: a request to another origin than the board's, a
 * console error or a page error fails the test (BoardEnv.closeSessions) unless the test declared it expected; so
 * does a /board answer without the contract's Content-Security-Policy.
 */
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';

export interface SessionOptions {
  /** The board's origin, e.g. http://127.0.0.1:41234. */
  base: string;
  /** Origins besides `base` the pages may request (the cross-site test's own page). */
  allowOrigins?: string[];
  viewport?: { width: number; height: number };
  /** Scripts injected before any page script (CDP: not subject to the page's CSP). */
  initScripts?: string[];
}

/** The Content-Security-Policy every /board answer carries (the contract). */
export const BOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export class PageGuard {
  readonly requests: string[] = [];
  /** Board answers (path /board…) without the contract's CSP. */
  readonly withoutCsp: string[] = [];
  readonly consoleErrors: string[] = [];
  readonly consoleWarnings: string[] = [];
  readonly pageErrors: string[] = [];
  private readonly allowedErrors: RegExp[] = [];
  private readonly origins: Set<string>;

  private readonly board: Set<string>;

  constructor(base: string, allowOrigins: string[]) {
    this.board = new Set([new URL(base).origin]);
    this.origins = new Set([new URL(base).origin, ...allowOrigins.map((o) => new URL(o).origin)]);
  }

  attach(context: BrowserContext): void {
    context.on('request', (request) => this.requests.push(`${request.method()} ${request.url()}`));
    context.on('response', (response) => {
      const url = new URL(response.url());
      if (!this.origins.has(url.origin) || !url.pathname.startsWith('/board')) return;
      if (!this.board.has(url.origin)) return; // another allowed origin's pages are not the board's
      // The event stream is never rendered: a policy on it would change nothing (its lack is reported, not failed).
      if ((response.headers()['content-type'] ?? '').startsWith('text/event-stream')) return;
      const csp = response.headers()['content-security-policy'];
      if (csp !== BOARD_CSP) this.withoutCsp.push(`${response.status()} ${response.request().method()} ${url.pathname}${url.search}: ${csp ?? '(none)'}`);
    });
    context.on('console', (message: ConsoleMessage) => {
      const line = `${message.text()} (${message.location().url || 'no url'})`;
      if (message.type() === 'error') this.consoleErrors.push(line);
      else if (message.type() === 'warning') this.consoleWarnings.push(line);
    });
    context.on('weberror', (error) => this.pageErrors.push(String(error.error().stack ?? error.error().message)));
  }

  /**
   * Declares console errors the test provokes on purpose (e.g. the browser's "Failed to load resource: … status of
   * 412" for a refused action): matching ones are not reported.
   */
  expectConsoleError(pattern: RegExp): void {
    this.allowedErrors.push(pattern);
  }

  /** Forgets what was recorded and the errors declared expected: the next test starts clean. */
  reset(): void {
    for (const list of [this.requests, this.withoutCsp, this.consoleErrors, this.consoleWarnings, this.pageErrors, this.allowedErrors]) list.length = 0;
  }

  /** Everything the guard objects to, one line each. */
  problems(): string[] {
    const foreign = this.requests.filter((r) => {
      const url = r.slice(r.indexOf(' ') + 1);
      if (url.startsWith('data:') || url === 'about:blank') return false;
      return !this.origins.has(new URL(url).origin);
    });
    return [
      ...foreign.map((r) => `request to another origin: ${r}`),
      ...this.withoutCsp.map((r) => `board answer without the contract's CSP: ${r}`),
      ...this.consoleErrors.filter((e) => !this.allowedErrors.some((p) => p.test(e))).map((e) => `console error: ${e}`),
      ...this.pageErrors.map((e) => `uncaught page error: ${e}`),
    ];
  }
}

export class BoardSession {
  private constructor(
    readonly base: string,
    readonly context: BrowserContext,
    readonly page: Page,
    readonly guard: PageGuard,
  ) {}

  static async open(browser: Browser, options: SessionOptions): Promise<BoardSession> {
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
    const guard = new PageGuard(options.base, options.allowOrigins ?? []);
    guard.attach(context);
    for (const script of options.initScripts ?? []) await context.addInitScript(script);
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    return new BoardSession(options.base, context, page, guard);
  }

  /** Navigates to a board path (e.g. `/board?type=invoice`) and waits for the load event. */
  async goto(path: string, page: Page = this.page): Promise<void> {
    await page.goto(`${this.base}${path}`, { waitUntil: 'load' });
  }

  /** Logs in through the login form; resolves on the list page. */
  async login(key: string): Promise<void> {
    await this.goto('/board/login');
    await this.page.locator('input[name="key"]').fill(key);
    await Promise.all([
      this.page.waitForURL((url) => url.pathname === '/board', { waitUntil: 'load' }),
      this.page.locator('input[name="key"]').press('Enter'),
    ]);
    await this.page.locator('body[data-page="list"]').waitFor({ state: 'attached' });
  }

  /** A second page in the same context (same cookies), under the same guard. */
  newPage(): Promise<Page> {
    return this.context.newPage();
  }

  /** Closes every page but the first one (for a session kept from one test to the next). */
  async closeOtherPages(): Promise<void> {
    for (const page of this.context.pages()) if (page !== this.page) await page.close();
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
