/**
 * The workflow page's actions with a write key: each asks for confirmation (Cancel sends nothing), sends If-Match
 * with the version the page shows and the CSRF token (and Lease-Token for release only), and shows the problem when
 * refused. Touch keeps the version and moves the expiry; a touch after a concurrent write is refused with 412 and
 * changes nothing; a delete while another holder has the lease is refused with 409 lease-held; releasing the lease
 * from the board lets tokenless writes through again; a delete goes back to the list.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page, Response } from 'playwright-core';
import { BoardEnv } from './support/board-env.js';
import { eventually, listRows, text } from './support/board-pages.js';
import type { WorkflowsApi } from './support/workflows-api.js';

let board: BoardEnv;
let api: WorkflowsApi;

beforeAll(async () => {
  board = await BoardEnv.start('actions');
  api = board.api('write');
}, 60_000);
afterEach(() => board.closeSessions());
afterAll(async () => {
  await board?.stop();
});

let n = 0;
async function freshWorkflow(): Promise<string> {
  const id = `act-${++n}`;
  await api.create({ id, type: 'invoice', status: 'review', ttlSeconds: 600, state: { amount: 10 * n } });
  return id;
}

/** Clicks the action's button, checks the confirmation dialog, says yes; the POST's response. */
async function confirmAction(page: Page, id: string, action: 'touch' | 'delete' | 'release'): Promise<Response> {
  await page.locator(`#actions button[data-action="${action}"]`).click();
  const dialog = page.locator('dialog#confirm');
  await dialog.waitFor({ state: 'visible' });
  expect((await text(page, '#confirm-text')).length).toBeGreaterThan(0);
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === `/board/w/${id}/${action}` && r.request().method() === 'POST'),
    page.locator('#confirm-yes').click(),
  ]);
  return response;
}

async function problemShown(page: Page): Promise<string> {
  const problem = page.locator('#problem');
  await problem.waitFor({ state: 'visible' });
  await expect(problem.getAttribute('role')).resolves.toBe('alert');
  return (await problem.innerText()).replace(/\s+/g, ' ');
}

describe('actions', () => {
  it('asks first: Cancel closes the dialog and sends nothing', async () => {
    const id = await freshWorkflow();
    const session = await board.shared('write');
    await session.goto(`/board/w/${id}`);
    const page = session.page;
    await page.locator('#actions button[data-action="delete"]').click();
    await page.locator('dialog#confirm').waitFor({ state: 'visible' });
    await page.locator('#confirm-no').click();
    await page.locator('dialog#confirm').waitFor({ state: 'hidden' });
    expect(session.guard.requests.filter((r) => r.startsWith('POST ') && r.includes('/board/w/'))).toEqual([]);
    await expect(api.get(id)).resolves.toMatchObject({ version: 1 });
  });

  it('touches: same version, the expiry moves, the page shows the new expiry', async () => {
    const id = await freshWorkflow();
    const before = await api.get(id);
    const session = await board.shared('write');
    await session.goto(`/board/w/${id}`);
    const page = session.page;
    const csrf = await page.locator('body').getAttribute('data-csrf');
    const response = await confirmAction(page, id, 'touch');
    expect(response.status()).toBe(200);
    const sent = await response.request().allHeaders();
    expect(sent['if-match']).toBe('"1"');
    expect(sent['x-csrf-token']).toBe(csrf);
    expect(sent['lease-token']).toBeUndefined();
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ id, version: 1 });
    expect(body).not.toHaveProperty('state');
    await eventually(async () => /Touched/i.test(await page.locator('#action-result').innerText()), '"Touched" in #action-result');
    await expect(page.locator('#problem').isHidden()).resolves.toBe(true);

    const after = await api.get(id);
    expect(after.version).toBe(1);
    expect(Date.parse(after.expiresAt)).toBeGreaterThan(Date.parse(before.expiresAt));
    expect(after.expiresAt).toBe(body.expiresAt);
    await eventually(
      async () => (await page.locator('#ttl-countdown').getAttribute('data-expires-at-ms')) === String(Date.parse(after.expiresAt)),
      'the countdown to take the new expiry',
    );
  });

  it('refuses a touch after a concurrent write with 412, shows it, and changes nothing', async () => {
    const id = await freshWorkflow();
    const session = await board.shared('write');
    session.guard.expectConsoleError(/status of 412/);
    await session.goto(`/board/w/${id}`);
    const page = session.page;
    const written = await api.patch(id, { status: 'approved' }); // behind the page's back: version 2
    expect(written.version).toBe(2);

    const response = await confirmAction(page, id, 'touch');
    expect(response.status()).toBe(412);
    expect(response.headers()['content-type']).toMatch(/^application\/problem\+json/);
    const shown = await problemShown(page);
    expect(shown).toContain('412');
    expect(shown).toMatch(/precondition|version/i);
    expect(await page.locator('#action-result').innerText()).not.toMatch(/Touched/i);
    await expect(page.locator('body').getAttribute('data-version')).resolves.toBe('1');

    const after = await api.get(id);
    expect({ version: after.version, expiresAt: after.expiresAt, status: after.status }).toEqual({ version: 2, expiresAt: written.expiresAt, status: 'approved' });
  });

  it('refuses a delete while someone else holds the lease (409 lease-held); releasing it from the board lets writes through', async () => {
    const id = await freshWorkflow();
    const lease = await api.acquireLease(id, 'worker-9', 60_000);
    const session = await board.shared('write');
    session.guard.expectConsoleError(/status of 409/);
    await session.goto(`/board/w/${id}`);
    const page = session.page;

    const refused = await confirmAction(page, id, 'delete');
    expect(refused.status()).toBe(409);
    expect(((await refused.json()) as { type: string }).type).toBe('urn:workflow-store:problem:lease-held');
    expect((await refused.request().allHeaders())['lease-token']).toBeUndefined();
    const shown = await problemShown(page);
    expect(shown).toContain('409');
    expect(shown).toMatch(/lease/i);
    expect(new URL(page.url()).pathname).toBe(`/board/w/${id}`);
    await expect(api.get(id)).resolves.toMatchObject({ version: 1 });
    // Still held: a tokenless write is refused.
    await expect(api.call('PATCH', `/workflows/${id}`, { status: 'x' })).resolves.toMatchObject({ status: 409, problem: 'lease-held' });

    await expect(page.locator('#actions button[data-action="release"]').getAttribute('data-lease-token')).resolves.toBe(String(lease.token));
    const reloaded = page.waitForEvent('load');
    const released = await confirmAction(page, id, 'release');
    expect(released.status()).toBe(204);
    await reloaded;
    const sent = await released.request().allHeaders();
    expect(sent['lease-token']).toBe(String(lease.token));
    expect(sent['if-match']).toBe('"1"');
    // Reloaded: no live lease (none, or a released badge), and no release button.
    await page.locator('#no-lease, #lease .badge-released').first().waitFor({ state: 'attached' });
    await expect(page.locator('#actions button[data-action="release"]').count()).resolves.toBe(0);
    await expect(api.patch(id, { status: 'approved' })).resolves.toMatchObject({ version: 2 });
  });

  it('deletes: back on the list, the workflow gone', async () => {
    const id = await freshWorkflow();
    const session = await board.shared('write');
    await session.goto(`/board/w/${id}`);
    const page = session.page;
    const [response] = await Promise.all([
      confirmAction(page, id, 'delete'),
      page.waitForURL((url) => url.pathname === '/board', { waitUntil: 'load' }),
    ]);
    expect(response.status()).toBe(204);
    expect((await listRows(page)).map((r) => r.id)).not.toContain(id);
    await expect(api.find(id)).resolves.toBeUndefined();
  });
});
