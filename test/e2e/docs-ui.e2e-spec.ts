/**
 * /docs in a real browser (Debian's Chromium, driven by playwright-core): the page loads from the service alone,
 * shows the Authorize button, takes an API key, and a PATCH sent with "Try it out" succeeds (merge-patch body,
 * bearer key) and changes the workflow. A screenshot of the page is written for the record.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser } from 'playwright-core';
import { ApiProcess } from '../support/api-process.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const KEY = 'docs-ui-test-key-0123456789';
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

let api: ApiProcess;
let browser: Browser;

beforeAll(async () => {
  api = await ApiProcess.start({ NODE_ENV: 'development', API_KEYS: `acme:write:${sha256(KEY)}` });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await api?.stop('SIGKILL');
});

describe('/docs in Chromium', () => {
  it('shows Authorize and sends a PATCH from "Try it out" that succeeds', async () => {
    const auth = { authorization: `Bearer ${KEY}` };
    const created = await fetch(`${api.url}/workflows`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'invoice-42', type: 'invoice', status: 'uploaded', state: { pages: 3 } }),
    });
    expect(created.status).toBe(201);

    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    const external: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(api.url)) external.push(request.url());
    });
    await page.goto(`${api.url}/docs`);
    const authorize = page.locator('.swagger-ui button.authorize');
    await authorize.waitFor({ timeout: 20_000 });
    const shot = join(mkdtempSync(join(tmpdir(), 'docs-ui-')), 'docs.png');
    await page.screenshot({ path: shot, fullPage: false });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    console.log(`/docs screenshot: ${shot}`);

    await authorize.click();
    await page.locator('.modal-ux input[type=text], .modal-ux input[type=password]').first().fill(KEY);
    await page.locator('.modal-ux button.authorize').click();
    await page.locator('.modal-ux button.btn-done').click();

    const patch = page.locator('#operations-workflows-WorkflowsController_patch');
    await patch.locator('.opblock-summary').click();
    await patch.locator('button.try-out__btn').click();
    await patch.locator('tr[data-param-name="id"] input').fill('invoice-42');
    // The body field starts with the document's example (a merge patch); it is sent as application/merge-patch+json.
    await expect(patch.locator('textarea.body-param__text').inputValue()).resolves.toContain('review');
    await patch.locator('button.execute').click();
    const status = patch.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor({ timeout: 20_000 });
    expect((await status.innerText()).trim()).toBe('200');
    await page.close();

    const after = (await (await fetch(`${api.url}/workflows/invoice-42`, { headers: auth })).json()) as { status: string; version: number; state: Record<string, unknown> };
    expect(after).toMatchObject({ status: 'review', version: 2, state: { reviewer: 'ana' } });
    expect(after.state.pages).toBeUndefined(); // null in a merge patch removes the field
    expect(external).toEqual([]); // every asset from the service itself
  }, 90_000);
});
