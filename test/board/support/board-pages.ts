/**
 * Reading the board's pages as the contract (/tmp/board/CONTRACT.md) lays them out. In-page callbacks are typed
 * loosely: the root tsconfig has no DOM lib.
 */
import type { Page } from 'playwright-core';
import { eventually } from '../../support/eventually.js';

export { eventually };

export interface ListRow {
  id: string;
  type: string;
  status: string;
  version: number;
  /** The cells as shown. */
  cells: { type: string; status: string; version: string };
  classes: string;
}

/** The list page's workflow rows, top to bottom. */
export function listRows(page: Page): Promise<ListRow[]> {
  return page.locator('#workflows tbody tr[data-id]').evaluateAll((rows: any[]) =>
    rows.map((r) => ({
      id: r.dataset.id,
      type: r.dataset.type,
      status: r.dataset.status,
      version: Number(r.dataset.version),
      cells: {
        type: (r.querySelector('td.type')?.textContent ?? '').trim(),
        status: (r.querySelector('td.status')?.textContent ?? '').trim(),
        version: (r.querySelector('td.version')?.textContent ?? '').trim(),
      },
      classes: String(r.className),
    })),
  );
}

/** The first number of #count ("3 012 workflows in tenant acme · 50 on this page" → 3012), and its text. */
export async function shownCount(page: Page): Promise<{ total: number; text: string }> {
  const text = (await page.locator('#count').innerText()).trim();
  const match = /^([\d\s\u00a0\u202f,.']+)/.exec(text);
  if (!match) throw new Error(`#count does not start with a number: ${JSON.stringify(text)}`);
  return { total: Number(match[1]!.replace(/\D/g, '')), text };
}


export interface RowChange {
  kind: 'added' | 'removed' | 'changed';
  id: string;
  version: number;
  status: string;
  classes: string;
  /** Date.now() in the page (same machine clock as the test). */
  at: number;
}

/**
 * Records, in the page, every row added to or removed from #workflows and every change of a row's data-version or
 * cells, with the time it happened: latencies are measured where the user sees them, not at the next poll.
 */
export async function recordRowChanges(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = globalThis as any;
    const table = w.document.querySelector('#workflows');
    const log: unknown[] = [];
    w.__rowChanges = log;
    const describe = (kind: string, tr: any): unknown => ({
      kind,
      id: tr.dataset.id,
      version: Number(tr.dataset.version),
      status: (tr.querySelector('td.status')?.textContent ?? '').trim(),
      classes: String(tr.className),
      at: Date.now(),
    });
    const rowOf = (node: any): any => (node && node.nodeType === 1 ? node.closest('tr[data-id]') : node?.parentElement?.closest('tr[data-id]'));
    new w.MutationObserver((records: any[]) => {
      for (const record of records) {
        if (record.type === 'childList') {
          for (const node of record.addedNodes) {
            if (node.nodeType === 1 && node.matches('tr[data-id]')) log.push(describe('added', node));
            else if (rowOf(record.target)) log.push(describe('changed', rowOf(record.target)));
          }
          for (const node of record.removedNodes) if (node.nodeType === 1 && node.matches('tr[data-id]')) log.push({ ...(describe('removed', node) as object) });
        } else {
          const tr = rowOf(record.target);
          if (tr) log.push(describe('changed', tr));
        }
      }
    }).observe(table, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-version', 'data-status'], characterData: true });
  });
}

export function rowChanges(page: Page): Promise<RowChange[]> {
  return page.evaluate(() => (globalThis as any).__rowChanges as RowChange[]);
}

/** The first recorded change of `id` that satisfies `match`, waited for up to `timeoutMs`. */
export async function awaitRowChange(page: Page, id: string, match: (c: RowChange) => boolean, what: string, timeoutMs = 5000): Promise<RowChange> {
  let found: RowChange | undefined;
  await eventually(
    async () => {
      found = (await rowChanges(page)).find((c) => c.id === id && match(c));
      return found !== undefined;
    },
    what,
    timeoutMs,
  );
  return found!;
}

/** Text of an element, whitespace collapsed. */
export async function text(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).innerText()).replace(/\s+/g, ' ').trim();
}
