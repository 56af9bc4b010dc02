/**
 * The list page over 3 000 workflows of one tenant (seeded through its HTTP API): the count, the filters (type,
 * status, stalled) showing only matching rows, and cursor paging with limit=500 that visits every matching workflow
 * exactly once. A workflow whose lease expired unreleased is listed with stalled=1.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { BoardEnv } from './support/board-env.js';
import { eventually, listRows, shownCount, type ListRow } from './support/board-pages.js';
import type { NewWorkflow } from './support/workflows-api.js';

const COUNT = 3000;
const TYPES = ['invoice', 'contract', 'receipt'];
const STATUSES = ['uploaded', 'extracted', 'review', 'approved'];

const seeded: NewWorkflow[] = Array.from({ length: COUNT }, (_, i) => ({
  id: `doc-${String(i).padStart(4, '0')}`,
  type: TYPES[i % TYPES.length]!,
  status: STATUSES[Math.floor(i / TYPES.length) % STATUSES.length]!,
  state: { n: i, amount: (i * 37) % 1000, currency: 'EUR' },
}));
const idsWhere = (match: (w: NewWorkflow) => boolean): string[] => seeded.filter(match).map((w) => w.id).sort();

let board: BoardEnv;

beforeAll(async () => {
  board = await BoardEnv.start('list');
  const started = Date.now();
  await board.api('write').seed(seeded, 32);
  console.log(`seeded ${COUNT} workflows over HTTP in ${Date.now() - started} ms`);
}, 90_000);
afterEach(() => board.closeSessions());
afterAll(async () => {
  await board?.stop();
});

/** Walks the list from `path` by clicking #next-page until it is gone; every row of every page, and the page count. */
async function walk(page: Page, base: string, path: string): Promise<{ rows: ListRow[]; pages: number }> {
  await page.goto(`${base}${path}`, { waitUntil: 'load' });
  const rows: ListRow[] = [];
  let pages = 0;
  for (;;) {
    pages++;
    const shown = await listRows(page);
    rows.push(...shown);
    const next = page.locator('#next-page');
    if ((await next.count()) === 0) break;
    if (pages > 20) throw new Error(`still a #next-page after ${pages} pages`);
    expect(shown.length).toBeGreaterThan(0);
    const href = (await next.getAttribute('href')) ?? '';
    expect(href).toContain('cursor=');
    await Promise.all([page.waitForURL(new URL(href, page.url()).href, { waitUntil: 'load' }), next.click()]);
  }
  return { rows, pages };
}

function expectExactlyOnce(rows: ListRow[], expected: string[]): void {
  const ids = rows.map((r) => r.id);
  const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
  expect(duplicates).toEqual([]);
  expect([...ids].sort()).toEqual(expected);
}

describe('list page over a few thousand workflows', () => {
  it('shows the tenant count and a first page of 50 with the contract columns', async () => {
    const session = await board.shared('read');
    const page = session.page;
    await session.goto('/board');
    const count = await shownCount(page);
    console.log(`#count: ${count.text}`);
    expect(count.total).toBe(COUNT);
    await expect(page.locator('#workflows thead th').allInnerTexts()).resolves.toEqual(['Id', 'Type', 'Status', 'Version', 'Updated', 'Expires']);
    const rows = await listRows(page);
    expect(rows).toHaveLength(50);
    const byId = new Map(seeded.map((w) => [w.id, w]));
    for (const row of rows) {
      const w = byId.get(row.id);
      expect(w).toBeDefined();
      expect(row).toMatchObject({ type: w!.type, status: w!.status, version: 1, cells: { type: w!.type, status: w!.status, version: '1' } });
    }
    // Each id links to its workflow page; the times are <time datetime> elements.
    const first = page.locator('#workflows tbody tr[data-id]').first();
    await expect(first.locator('td.id a').getAttribute('href')).resolves.toBe(`/board/w/${rows[0]!.id}`);
    expect(Date.parse((await first.locator('td.updated time').getAttribute('datetime')) ?? '')).not.toBeNaN();
    expect(Date.parse((await first.locator('td.expires time[data-countdown]').getAttribute('datetime')) ?? '')).toBeGreaterThan(Date.now());
    await expect(page.locator('#first-page').count()).resolves.toBe(1);
    await expect(page.locator('#next-page').count()).resolves.toBe(1);
  });

  it('filters by type and status through the form: only matching rows', async () => {
    const session = await board.shared('read');
    const page = session.page;
    await session.goto('/board');
    await page.locator('#filters input[name="type"]').fill('contract');
    await page.locator('#filters input[name="status"]').fill('review');
    await Promise.all([page.waitForURL((url) => url.searchParams.get('type') === 'contract', { waitUntil: 'load' }), page.locator('#filters [type="submit"]').click()]);
    const url = new URL(page.url());
    expect(url.searchParams.get('status')).toBe('review');
    console.log(`#count (type=contract&status=review): ${(await shownCount(page)).text}`);
    const rows = await listRows(page);
    expect(rows).toHaveLength(50);
    for (const row of rows) expect(row).toMatchObject({ type: 'contract', status: 'review' });
    // The form shows the filters it applied.
    await expect(page.locator('#filters input[name="type"]').inputValue()).resolves.toBe('contract');
    await expect(page.locator('#filters input[name="status"]').inputValue()).resolves.toBe('review');
  });

  it('walks every workflow exactly once with limit=500 (unfiltered, and filtered by type)', async () => {
    const session = await board.shared('read');
    const started = Date.now();
    const all = await walk(session.page, session.base, '/board?limit=500');
    expect(all.pages).toBeGreaterThanOrEqual(COUNT / 500);
    expectExactlyOnce(all.rows, idsWhere(() => true));
    const byId = new Map(seeded.map((w) => [w.id, w]));
    for (const row of all.rows) expect({ id: row.id, type: row.type, status: row.status }).toEqual({ id: row.id, type: byId.get(row.id)!.type, status: byId.get(row.id)!.status });

    const invoices = await walk(session.page, session.base, '/board?type=invoice&limit=500');
    expect(invoices.pages).toBeGreaterThanOrEqual(2);
    expectExactlyOnce(invoices.rows, idsWhere((w) => w.type === 'invoice'));
    console.log(`paged walks: ${all.pages} + ${invoices.pages} pages in ${Date.now() - started} ms`);
  }, 60_000);

  it('lists a workflow whose lease expired without release under stalled=1', async () => {
    const api = board.api('write');
    const stalled = seeded[7]!.id;
    await api.acquireLease(stalled, 'worker-stalls', 300);
    await eventually(async () => (await api.listIds('stalled=true')).includes(stalled), `${stalled} stalled in the API`, 5000);

    const session = await board.shared('read');
    const page = session.page;
    await session.goto('/board');
    await page.locator('#filters input[name="stalled"]').check();
    await Promise.all([page.waitForURL((url) => url.searchParams.get('stalled') === '1', { waitUntil: 'load' }), page.locator('#filters [type="submit"]').click()]);
    const rows = await listRows(page);
    expect(rows.map((r) => r.id)).toEqual([stalled]);
    await expect(page.locator('#filters input[name="stalled"]').isChecked()).resolves.toBe(true);
    await expect(api.listIds('stalled=true')).resolves.toEqual([stalled]);
  });
});
