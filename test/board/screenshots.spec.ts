/**
 * Screenshots of the list and the workflow page for the README, made from a realistic tenant (invoices and
 * contracts moving through uploaded → extracted → review → approved). Written to docs/board-list.png and
 * docs/board-workflow.png only with BOARD_SCREENSHOTS=1 (`npm run screenshots`); otherwise to a temporary
 * directory, so a test run leaves the clone as it was.
 */
import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { inParallel } from '../support/in-parallel.js';
import { BoardEnv } from './support/board-env.js';
import { listRows } from './support/board-pages.js';
import type { NewWorkflow } from './support/workflows-api.js';

const TO_DOCS = process.env.BOARD_SCREENSHOTS === '1';
const outDir = TO_DOCS ? join(process.cwd(), 'docs') : mkdtempSync(join(tmpdir(), 'board-screenshots-'));
const FOCUS = 'INV-2025-0187';
const VENDORS = ['Nordwind Logistik GmbH', 'Papeterie Lemaire SARL', 'Brightline Office Supply', 'Kovač & Partneri d.o.o.', 'Sunfield Energy BV'];
const STATUSES = ['uploaded', 'extracted', 'review', 'approved'];

function invoice(i: number): NewWorkflow {
  const net = 180 + ((i * 7331) % 9000);
  return {
    id: `INV-2025-${String(120 + i).padStart(4, '0')}`,
    type: 'invoice',
    status: STATUSES[(i * 5) % 4]!,
    ttlSeconds: 86_400 * (3 + (i % 20)),
    state: {
      vendor: { name: VENDORS[i % VENDORS.length], vatId: `DE${String(100_000_000 + i * 7919).slice(0, 9)}` },
      amount: { net, vat: Math.round(net * 19) / 100, gross: Math.round(net * 119) / 100, currency: 'EUR' },
      pages: 1 + (i % 4),
      source: `s3://acme-inbox/2025/06/${String(120 + i).padStart(4, '0')}.pdf`,
    },
  };
}

function contract(i: number): NewWorkflow {
  return {
    id: `CTR-2025-${String(40 + i).padStart(4, '0')}`,
    type: 'contract',
    status: STATUSES[(i * 3) % 4]!,
    ttlSeconds: 86_400 * (10 + i),
    state: { counterparty: VENDORS[(i + 2) % VENDORS.length], term: { start: '2025-07-01', months: 12 + 12 * (i % 3) }, signed: i % 2 === 0 },
  };
}

let board: BoardEnv;

beforeAll(async () => {
  board = await BoardEnv.start('acme');
  const api = board.api('write');
  // Each created as uploaded, then moved step by step to its status: versions 1 to 4 as in a real tenant.
  const all = [...Array.from({ length: 52 }, (_, i) => invoice(i)), ...Array.from({ length: 14 }, (_, i) => contract(i))];
  await inParallel(all.length, 16, async (i) => {
    const { status, ...workflow } = all[i]!;
    await api.create({ ...workflow, status: 'uploaded' });
    for (const step of STATUSES.slice(1, STATUSES.indexOf(status!) + 1)) await api.patch(workflow.id, { status: step });
  });
  // The workflow shown: uploaded, then extracted by a worker, then sent to review with a correction.
  const lines = [
    { description: 'Pallet transport Hamburg → Leipzig', qty: 3, unitPrice: 420 },
    { description: 'Waiting time (hours)', qty: 2, unitPrice: 65 },
  ];
  await api.create({ id: FOCUS, type: 'invoice', status: 'uploaded', ttlSeconds: 7 * 86_400, state: { source: 's3://acme-inbox/2025/06/0187.pdf', pages: 2 } });
  await api.put(FOCUS, {
    type: 'invoice',
    status: 'extracted',
    state: { source: 's3://acme-inbox/2025/06/0187.pdf', pages: 2, vendor: { name: 'Nordwind Logistik GmbH', vatId: 'DE811234567' }, amount: { net: 1390, vat: 264.1, gross: 1654.1, currency: 'EUR' }, lines, confidence: 0.91 },
  });
  await api.patch(FOCUS, { status: 'review', state: { amount: { net: 1520, vat: 288.8, gross: 1808.8 }, lines: [lines[0], { ...lines[1], qty: 4 }], confidence: null, reviewNote: 'Waiting time corrected from the delivery note' } });
  await api.acquireLease(FOCUS, 'reviewer-ana', 8 * 60_000);
}, 60_000);
afterEach(() => board.closeSessions());
afterAll(async () => {
  await board?.stop();
});

function saved(file: string): string {
  const path = join(outDir, file);
  expect(statSync(path).size).toBeGreaterThan(20_000);
  console.log(`screenshot: ${path}${TO_DOCS ? '' : ' (BOARD_SCREENSHOTS=1 writes it to docs/)'}`);
  return path;
}

describe('README screenshots', () => {
  it('screenshot of the list page', async () => {
    mkdirSync(outDir, { recursive: true });
    const session = await board.shared('write');
    const page = session.page;
    await session.goto('/board');
    await page.locator('#live-status[data-state="live"]').waitFor({ state: 'attached', timeout: 10_000 });
    // The page as rendered (no write happened since): one page of 50, no row inserted live.
    expect((await listRows(page)).filter((r) => r.classes.includes('fresh'))).toEqual([]);
    expect(await listRows(page)).toHaveLength(50);
    await page.screenshot({ path: join(outDir, 'board-list.png') });
    saved('board-list.png');
  });

  it('screenshot of the workflow page', async () => {
    mkdirSync(outDir, { recursive: true });
    const session = await board.shared('write');
    const page = session.page;
    await session.goto(`/board/w/${FOCUS}?from=2&to=3`);
    await page.locator('#ttl-countdown').filter({ hasText: /\d/ }).waitFor();
    for (const key of ['amount', 'lines']) await page.locator('#state-tree details.node > summary').filter({ hasText: new RegExp(`^\\s*"?${key}"?\\s*:`) }).first().click();
    await page.screenshot({ path: join(outDir, 'board-workflow.png'), fullPage: true });
    saved('board-workflow.png');
  });
});
