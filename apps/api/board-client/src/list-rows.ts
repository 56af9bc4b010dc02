/**
 * Applies the change feed to the list page's table: rows change in place, disappear when their workflow is gone or
 * no longer matches the page's filters, and appear (fetched as server-rendered `<tr>` fragments) when one is
 * created or newly matches. Events may repeat or come out of order after a resume: one older than the row
 * (lower version) is ignored.
 */

import { shownTime } from './time-format.js';

/** The fields of the API's WorkflowEvent that the list uses. */
export interface WorkflowEvent {
  eventId: string;
  id: string;
  op: string;
  version: number;
  type: string;
  status: string;
  at: string;
}

export interface Filters {
  type: string;
  status: string;
}

/** Writes that restart the TTL: the row's expiry moved, which the event does not carry. */
const RESTARTS_TTL = new Set(['created', 'updated', 'touched', 'restored']);
const FRESH_MS = 4000;
/** Coalesces a burst of writes to one workflow into one fetch of its row. */
const REFRESH_DELAY_MS = 250;
const CELLS = ['type', 'status', 'version', 'updated', 'expires'];

export function parseWorkflowEvent(data: string): WorkflowEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const e = value as Record<string, unknown>;
  const ok =
    typeof e.id === 'string' && typeof e.op === 'string' && typeof e.version === 'number' && typeof e.type === 'string' &&
    typeof e.status === 'string' && typeof e.at === 'string';
  return ok ? (value as WorkflowEvent) : null;
}

/** The filters the page was rendered with (the inputs' default values: what the user typed since is not applied yet). */
export function renderedFilters(form: HTMLFormElement | null): Filters {
  const value = (name: string): string => {
    const input = form?.elements.namedItem(name);
    return input instanceof HTMLInputElement ? input.defaultValue.trim() : '';
  };
  return { type: value('type'), status: value('status') };
}

export class ListRows {
  /** Rows being fetched for insertion, with the latest event seen for each meanwhile. */
  private readonly inserting = new Map<string, WorkflowEvent>();
  private readonly refreshing = new Map<string, 'scheduled' | 'running' | 'again'>();

  /**
   * `renderedAtMs`: the server's time when it rendered the page. The feed is replayed from a little before it (so
   * that no write is missed between reading the list and subscribing): an event from before it is already in the
   * page as rendered, and a workflow it names that is not on the page is on another page, not new.
   */
  constructor(
    private readonly tbody: HTMLTableSectionElement,
    private readonly filters: Filters,
    private readonly renderedAtMs: number,
  ) {}

  apply(event: WorkflowEvent): void {
    const gone = event.op === 'deleted' || event.op === 'expired';
    const replayed = Date.parse(event.at) <= this.renderedAtMs;
    const row = this.rowOf(event.id);
    if (row === null) {
      const waiting = this.inserting.get(event.id);
      if (waiting !== undefined) {
        if (event.version >= waiting.version) this.inserting.set(event.id, event);
      } else if (!gone && !replayed && this.matches(event.type, event.status)) {
        void this.insert(event);
      }
      return;
    }
    const shown = versionOf(row);
    if (event.version < shown) return;
    if (gone) {
      this.remove(row);
      return;
    }
    if (!this.matches(event.type, event.status)) {
      this.remove(row);
      return;
    }
    row.dataset.type = event.type;
    row.dataset.status = event.status;
    row.dataset.version = String(event.version);
    setCell(row, 'type', event.type);
    setCell(row, 'status', event.status);
    setCell(row, 'version', String(event.version));
    // Only a write that made a new version moved updatedAt (a lease event or a touch keeps it).
    if (event.version > shown) {
      const time = row.querySelector<HTMLTimeElement>('td.updated time');
      if (time !== null) {
        time.dateTime = event.at;
        time.textContent = shownTime(event.at);
      }
    }
    // The row's expiry moved (the event does not say where to): the server's rendering of the row does.
    if (event.version > shown || (!replayed && RESTARTS_TTL.has(event.op))) this.scheduleRefresh(event.id);
  }

  private matches(type: string, status: string): boolean {
    return (this.filters.type === '' || type === this.filters.type) && (this.filters.status === '' || status === this.filters.status);
  }

  private rowOf(id: string): HTMLTableRowElement | null {
    return this.tbody.querySelector<HTMLTableRowElement>(`tr[data-id="${CSS.escape(id)}"]`);
  }

  private async insert(event: WorkflowEvent): Promise<void> {
    this.inserting.set(event.id, event);
    const fetched = await fetchRow(event.id);
    const latest = this.inserting.get(event.id) ?? event;
    this.inserting.delete(event.id);
    if (fetched === null || this.rowOf(event.id) !== null) return;
    const type = fetched.dataset.type ?? '';
    const status = fetched.dataset.status ?? '';
    if (!this.matches(type, status)) return;
    const gone = latest.op === 'deleted' || latest.op === 'expired';
    if (gone && latest.version >= versionOf(fetched)) return;
    this.tbody.querySelector('tr.empty')?.remove();
    fetched.classList.add('fresh');
    this.tbody.prepend(fetched);
    setTimeout(() => fetched.classList.remove('fresh'), FRESH_MS);
    // An event that came while the row was being fetched may be newer than what the server rendered.
    if (latest.version > versionOf(fetched) || gone) this.apply(latest);
  }

  private remove(row: HTMLTableRowElement): void {
    row.remove();
    if (this.tbody.querySelector('tr[data-id]') === null && this.tbody.querySelector('tr.empty') === null) {
      const empty = this.tbody.insertRow();
      empty.className = 'empty';
      const cell = empty.insertCell();
      cell.colSpan = 6;
      cell.textContent = 'No workflows';
    }
  }

  private scheduleRefresh(id: string): void {
    const state = this.refreshing.get(id);
    if (state === 'running') this.refreshing.set(id, 'again');
    if (state !== undefined) return;
    this.refreshing.set(id, 'scheduled');
    setTimeout(() => void this.refresh(id), REFRESH_DELAY_MS);
  }

  /** Takes the server's rendering of the row's cells (its expiry, its time formats), keeping the row (and focus). */
  private async refresh(id: string): Promise<void> {
    this.refreshing.set(id, 'running');
    const fetched = await fetchRow(id);
    const row = this.rowOf(id);
    if (fetched !== null && row !== null && versionOf(fetched) >= versionOf(row)) {
      for (const name of ['type', 'status', 'version'] as const) {
        const value = fetched.dataset[name];
        if (value !== undefined) row.dataset[name] = value;
      }
      for (const name of CELLS) {
        const from = fetched.querySelector(`td.${name}`);
        const to = row.querySelector(`td.${name}`);
        if (from !== null && to !== null) to.replaceChildren(...from.childNodes);
      }
    }
    const again = this.refreshing.get(id) === 'again';
    this.refreshing.delete(id);
    if (again) this.scheduleRefresh(id);
  }
}

function versionOf(row: HTMLElement): number {
  const version = Number(row.dataset.version);
  return Number.isFinite(version) ? version : 0;
}

function setCell(row: HTMLTableRowElement, name: string, text: string): void {
  const cell = row.querySelector(`td.${name}`);
  if (cell !== null && cell.textContent !== text) cell.textContent = text;
}

/** The server-rendered `<tr>` of one workflow, or null when it is gone (404) or cannot be fetched. */
async function fetchRow(id: string): Promise<HTMLTableRowElement | null> {
  let text: string;
  try {
    const response = await fetch(`/board/w/${encodeURIComponent(id)}/row`, {
      headers: { Accept: 'text/html' },
      credentials: 'same-origin',
      cache: 'no-store',
    });
    if (!response.ok) return null;
    text = await response.text();
  } catch {
    return null;
  }
  // Parsed inert in a table context (a bare <tr> outside a table is dropped by the parser). The fragment is our own
  // server's rendering, its values HTML-escaped there; nothing in it runs (a template's content is inert, and CSP
  // forbids inline script anyway).
  const template = document.createElement('template');
  template.innerHTML = `<table><tbody>${text}</tbody></table>`;
  const row = template.content.querySelector('tr[data-id]');
  if (!(row instanceof HTMLTableRowElement) || row.dataset.id !== id) return null;
  return document.importNode(row, true);
}
