import type { ListPage } from '#workflow-store';
import type { BoardViewer } from '../board-access.js';
import { html, type SafeHtml } from '../html.js';
import { shownCount } from './format.js';
import { layout } from './layout.js';
import { workflowRow } from './workflow-row.js';

/** What the list was asked for (the filter form's values and the page). */
export interface ListRequest {
  type?: string;
  status?: string;
  stalled: boolean;
  limit: number;
  cursor?: string;
}

export interface ListView {
  viewer: BoardViewer;
  request: ListRequest;
  page: ListPage;
  /** Live workflows of the tenant now. */
  total: number;
  /** Where the live list follows the feed from (the whole tenant, resuming just before this render); absent for stalled. */
  eventsUrl: string | undefined;
  nowMs: number;
}

/** The list: filters, counts, one page of rows and the links to walk the index. */
export function listPage(view: ListView): SafeHtml {
  const { request, page } = view;
  const filterQuery = queryOf({ type: request.type, status: request.status, stalled: request.stalled ? '1' : undefined, limit: request.limit === 50 ? undefined : String(request.limit) });
  const data: Record<string, string> = { serverNowMs: String(view.nowMs), ...(view.eventsUrl ? { eventsUrl: view.eventsUrl } : {}) };
  return layout({
    title: 'Workflows',
    page: 'list',
    viewer: view.viewer,
    script: 'list-page.js',
    data,
    main: html`<h1>Workflows</h1>
<form id="filters" class="filters" method="get" action="/board">
  <label for="f-type">Type</label> <input id="f-type" name="type" value="${request.type ?? ''}" maxlength="64">
  <label for="f-status">Status</label> <input id="f-status" name="status" value="${request.status ?? ''}" maxlength="64">
  <span class="check"><input id="f-stalled" type="checkbox" name="stalled" value="1"${request.stalled ? html` checked` : ''}> <label for="f-stalled">Stalled only</label></span>
  ${request.limit === 50 ? '' : html`<input type="hidden" name="limit" value="${request.limit}">`}
  <button type="submit">Apply</button>
  <a href="/board">Clear</a>
</form>
<p id="count">${shownCount(view.total)} workflows in tenant ${view.viewer.principal.tenant} · ${page.items.length} on this page${filterNote(request)}</p>
<p id="live-status" class="live" aria-live="polite" data-state="${view.eventsUrl ? 'connecting' : 'off'}">${view.eventsUrl ? 'Connecting to live updates…' : 'Live updates are off for stalled workflows (reload to refresh)'}</p>
<table id="workflows" class="workflows">
<caption class="visually-hidden">Workflows${filterNote(request)}</caption>
<thead><tr><th scope="col">Id</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Version</th><th scope="col">Updated</th><th scope="col">Expires</th></tr></thead>
<tbody>
${page.items.length === 0 ? html`<tr class="empty"><td colspan="6">No workflows on this page</td></tr>` : page.items.map((w) => workflowRow(w, view.nowMs))}
</tbody>
</table>
<nav class="pages" aria-label="Pages">
  <a id="first-page" href="/board${filterQuery}">First page</a>
  ${page.nextCursor ? html`<a id="next-page" href="/board${queryOf({ type: request.type, status: request.status, stalled: request.stalled ? '1' : undefined, limit: String(request.limit), cursor: page.nextCursor })}">Next page</a>` : html`<span class="end">End of the list</span>`}
</nav>`,
  });
}

function filterNote(request: ListRequest): string {
  const parts = [request.type ? `type ${request.type}` : '', request.status ? `status ${request.status}` : '', request.stalled ? 'stalled' : ''].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** `?a=1&b=2` of the defined values, or '' (values are URL-encoded; the template escapes the `&`s). */
export function queryOf(values: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value !== undefined && value !== '') params.set(name, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}
