/**
 * A workflow whose state is over 1 MiB of JSON (5 000 line items and a long string) opens and its tree expands
 * without a main-thread task over 200 ms, as the browser measures it: a PerformanceObserver for 'longtask' is
 * installed before any page script by an init script (injected over CDP, which the page's CSP does not govern —
 * checked). The page is opened, `items` expanded, then one item, then "Show 100 more" once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { BoardEnv } from './support/board-env.js';

const MAX_TASK_MS = 200;
const ID = 'scan-large';

const LONG_TASKS = `(() => {
  const tasks = [];
  const keep = (list) => { for (const e of list) tasks.push({ name: e.name, start: Math.round(e.startTime), ms: Math.round(e.duration) }); };
  const observer = new PerformanceObserver((list) => keep(list.getEntries()));
  observer.observe({ type: 'longtask', buffered: true });
  globalThis.__longTasks = () => { keep(observer.takeRecords()); return tasks.slice(); };
})();`;

function largeState(): { state: Record<string, unknown>; bytes: number } {
  const words = 'scanned line item with a description long enough to look like a real invoice position';
  const items = Array.from({ length: 5000 }, (_, i) => ({
    n: i,
    sku: `SKU-${String(i * 7919).padStart(8, '0')}`,
    description: `${words} #${i}`,
    amount: { value: Math.round(((i * 37) % 10_000) * 100) / 100, currency: 'EUR' },
    tags: ['scanned', i % 2 ? 'odd' : 'even'],
  }));
  const state = { items, meta: { source: 'scanner-3', pages: 412, ocr: 'lorem ipsum '.repeat(2000) } };
  return { state, bytes: Buffer.byteLength(JSON.stringify(state)) };
}

let board: BoardEnv;

beforeAll(async () => {
  board = await BoardEnv.start('large');
  const { state, bytes } = largeState();
  expect(bytes).toBeGreaterThanOrEqual(1024 * 1024);
  await board.api('write').create({ id: ID, type: 'scan', status: 'extracted', state });
  console.log(`state of ${ID}: ${bytes} bytes of JSON`);
}, 60_000);
afterEach(() => board.closeSessions());
afterAll(async () => {
  await board?.stop();
});

/** A number as the page may group its thousands ("4900", "4 900", "4,900"). */
const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+$)/g, '[\\s,.\u00a0\u202f]?');

const longTasks = (page: Page): Promise<{ name: string; start: number; ms: number }[]> => page.evaluate(() => (globalThis as any).__longTasks());

describe('1 MiB state', () => {
  it('opens and expands without a main-thread task over 200 ms', async () => {
    const session = await board.loggedIn('read', { initScripts: [LONG_TASKS] });
    const page = session.page;
    const steps: Record<string, number> = {};
    let t = Date.now();
    await session.goto(`/board/w/${ID}`);
    const items = page.locator('#state-tree details.node').filter({ has: page.locator(':scope > summary', { hasText: new RegExp(`${grouped(5000)} items`) }) }).first();
    await items.waitFor({ state: 'attached' });
    steps.open = Date.now() - t;
    // The init script ran despite the page's CSP (script-src 'self').
    await expect(page.evaluate(() => typeof (globalThis as any).__longTasks)).resolves.toBe('function');
    // Lazy: only the top level at first.
    expect(await page.locator('#state-tree details.node').count()).toBeLessThan(20);

    t = Date.now();
    await items.locator(':scope > summary').click();
    const more = items.locator('button.more').first();
    await more.waitFor({ state: 'visible' });
    expect(await more.innerText()).toMatch(new RegExp(`Show 100 more \\(${grouped(4900)} left\\)`));
    const child = (index: number) => items.locator('details.node > summary').filter({ hasText: new RegExp(`^\\s*${index}\\b`) }).first();
    await child(99).waitFor({ state: 'attached' });
    await expect(child(100).count()).resolves.toBe(0);
    steps.expandItems = Date.now() - t;

    t = Date.now();
    await child(0).click();
    await items.locator('.key').filter({ hasText: /^\s*"?sku"?/ }).first().waitFor({ state: 'visible' });
    steps.expandItem = Date.now() - t;

    t = Date.now();
    await more.click();
    await child(199).waitFor({ state: 'attached' });
    expect(await items.locator('button.more').first().innerText()).toMatch(new RegExp(`${grouped(4800)} left`));
    steps.showMore = Date.now() - t;

    // Entries of the last task are delivered after it: take the observer's pending records once a frame has passed.
    await page.evaluate(() => new Promise((resolve) => (globalThis as any).requestAnimationFrame(() => (globalThis as any).setTimeout(resolve, 0))));
    const tasks = await longTasks(page);
    const longest = tasks.reduce((max, task) => Math.max(max, task.ms), 0);
    console.log(`1 MiB state: steps ${JSON.stringify(steps)} ms; ${tasks.length} long task(s), longest ${longest} ms: ${JSON.stringify(tasks)}`);
    expect(tasks.filter((task) => task.ms > MAX_TASK_MS)).toEqual([]);
  }, 60_000);
});
