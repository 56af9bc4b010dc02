/**
 * axe-core in Chromium on the board's pages: the login page (also with its error), the list page, the workflow page
 * with a lease, a diff and an expanded state node, and with its confirmation dialog open. No violation of impact
 * serious or critical; lesser ones are printed.
 */
import { afterAll, afterEach, beforeAll, describe, it } from '@jest/globals';
import { expectNoSeriousViolations } from './support/axe.js';
import { BoardEnv } from './support/board-env.js';

let board: BoardEnv;
const ID = 'inv-a11y';

beforeAll(async () => {
  board = await BoardEnv.start('a11y');
  const api = board.api('write');
  await api.seed(
    Array.from({ length: 30 }, (_, i) => ({
      id: `inv-${1000 + i}`,
      type: i % 3 === 0 ? 'contract' : 'invoice',
      status: ['uploaded', 'extracted', 'review', 'approved'][i % 4]!,
      state: { amount: 100 + i },
    })),
    8,
  );
  await api.create({ id: ID, type: 'invoice', status: 'uploaded', state: { amount: 100, vendor: { name: 'ACME' }, lines: [{ sku: 'A', qty: 1 }] } });
  await api.patch(ID, { status: 'review', state: { amount: 120, lines: [{ sku: 'A', qty: 2 }], note: 'check VAT' } });
  await api.acquireLease(ID, 'worker-7', 60_000);
}, 60_000);
afterEach(() => board.closeSessions());
afterAll(async () => {
  await board?.stop();
});

describe('accessibility (axe-core)', () => {
  it('login page, empty and with its error', async () => {
    const session = await board.session();
    session.guard.expectConsoleError(/status of 401/);
    await session.goto('/board/login');
    await expectNoSeriousViolations(session.page, 'the login page');
    await session.page.locator('input[name="key"]').fill('wrong');
    await Promise.all([
      session.page.waitForResponse((r) => new URL(r.url()).pathname === '/board/login' && r.request().method() === 'POST'),
      session.page.locator('input[name="key"]').press('Enter'),
    ]);
    await session.page.waitForLoadState('load');
    await session.page.locator('#login-error').waitFor({ state: 'visible' });
    await expectNoSeriousViolations(session.page, 'the login page with #login-error');
  });

  it('list page', async () => {
    const session = await board.shared('write');
    await session.goto('/board');
    await session.page.locator('#live-status[data-state="live"]').waitFor({ state: 'attached', timeout: 10_000 });
    await expectNoSeriousViolations(session.page, 'the list page');
  });

  it('workflow page with a lease, a diff, an expanded node and the confirmation dialog', async () => {
    const session = await board.shared('write');
    const page = session.page;
    await session.goto(`/board/w/${ID}?from=1&to=2`);
    await page.locator('#lease .badge-held').waitFor({ state: 'visible' });
    await page.locator('#diff table.diff tr.diff-changed').first().waitFor({ state: 'attached' });
    await page.locator('#state-tree details.node > summary').first().click();
    await expectNoSeriousViolations(page, 'the workflow page');
    await page.locator('#actions button[data-action="touch"]').click();
    await page.locator('dialog#confirm').waitFor({ state: 'visible' });
    await expectNoSeriousViolations(page, 'the workflow page with its confirmation dialog open');
  });
});
