import type { LeaseView, WorkflowEvent, WorkflowHistory, WorkflowMeta } from '#workflow-store';
import type { BoardViewer } from '../board-access.js';
import { html, jsonDataBlock, type SafeHtml } from '../html.js';
import type { JsonDiff } from '../json-diff.js';
import { shownDuration, shownTime } from './format.js';
import { layout } from './layout.js';

/** The diff the page shows: between two kept versions, or why it cannot. */
export type VersionDiff = { from: number; to: number } & ({ kind: 'shown'; diff: JsonDiff } | { kind: 'not-kept'; oldest: number });

export interface WorkflowView {
  viewer: BoardViewer;
  workflow: WorkflowMeta;
  /** The state as stored (JSON text), handed to the page's tree without parsing it here. */
  stateJson: string;
  history: WorkflowHistory;
  diff: VersionDiff | undefined;
  /** The workflow's events the feed still holds, newest first; `off` when the feed is off. */
  events: WorkflowEvent[] | 'off';
  lease: LeaseView | null;
  nowMs: number;
}

/** One workflow: its fields, TTL countdown, state tree, versions and diff, events, lease and actions. */
export function workflowPage(view: WorkflowView): SafeHtml {
  const w = view.workflow;
  const canAct = view.viewer.principal.role !== 'read';
  return layout({
    title: `Workflow ${w.id}`,
    page: 'workflow',
    viewer: view.viewer,
    script: 'workflow-page.js',
    data: { id: w.id, version: String(w.version), serverNowMs: String(view.nowMs) },
    main: html`<p class="crumbs"><a href="/board">Workflows</a> › ${w.id}</p>
<h1>Workflow <code>${w.id}</code></h1>
<dl id="fields" class="fields">
  <dt>Type</dt><dd>${w.type}</dd>
  <dt>Status</dt><dd>${w.status}</dd>
  <dt>Version</dt><dd id="field-version">${w.version}</dd>
  <dt>Created</dt><dd><time datetime="${w.createdAt}">${shownTime(w.createdAt)}</time></dd>
  <dt>Updated</dt><dd><time datetime="${w.updatedAt}">${shownTime(w.updatedAt)}</time></dd>
  <dt>Expires</dt><dd><time id="expires-at" datetime="${w.expiresAt}">${shownTime(w.expiresAt)}</time> · <span id="ttl-countdown" data-expires-at-ms="${Date.parse(w.expiresAt)}">${shownDuration((Date.parse(w.expiresAt) - view.nowMs) / 1000)} left</span></dd>
  <dt>TTL</dt><dd>${shownDuration(w.ttlSeconds)} after each write</dd>
</dl>
${canAct ? actions(view) : ''}
${leaseSection(view.lease, view.nowMs)}
<section id="state" aria-labelledby="state-h">
<h2 id="state-h">State</h2>
<p class="hint">${Buffer.byteLength(view.stateJson, 'utf8').toLocaleString('en-US')} bytes of JSON. Open a member to see what it holds.</p>
<div id="state-tree" class="tree"></div>
<script type="application/json" id="state-json">${jsonDataBlock(view.stateJson)}</script>
</section>
${versionsSection(view)}
${view.diff ? diffSection(view.diff) : ''}
${eventsSection(view.events)}`,
  });
}

function actions(view: WorkflowView): SafeHtml {
  const lease = view.lease && (view.lease.state === 'held' || view.lease.state === 'expired') ? view.lease : null;
  return html`<section id="actions" aria-labelledby="actions-h">
<h2 id="actions-h">Actions</h2>
<p class="hint">Each action is sent for version ${view.workflow.version} only: if the workflow changed since this page loaded, it is refused.</p>
<div class="buttons">
  <button type="button" data-action="touch">Touch (restart the TTL)</button>
  ${lease ? html`<button type="button" data-action="release" data-lease-token="${lease.token}">Release lease</button>` : ''}
  <button type="button" class="danger" data-action="delete">Delete</button>
</div>
<div id="action-result" role="status"></div>
<div id="problem" class="problem" role="alert" hidden></div>
<dialog id="confirm" aria-labelledby="confirm-text">
  <p id="confirm-text">Are you sure?</p>
  <div class="buttons"><button type="button" id="confirm-yes">Yes</button> <button type="button" id="confirm-no">Cancel</button></div>
</dialog>
</section>`;
}

function leaseSection(lease: LeaseView | null, nowMs: number): SafeHtml {
  if (!lease) return html`<section id="lease" aria-labelledby="lease-h"><h2 id="lease-h">Lease</h2><p id="no-lease">No lease</p></section>`;
  const badge = { held: ['badge-held', 'Held'], expired: ['badge-stalled', 'Stalled'], released: ['badge-released', 'Released'], cleared: ['badge-released', 'Ended'] }[lease.state];
  const left = (Date.parse(lease.expiresAt) - nowMs) / 1000;
  return html`<section id="lease" aria-labelledby="lease-h">
<h2 id="lease-h">Lease <span class="badge ${badge[0]}">${badge[1]}</span></h2>
<dl class="fields">
  <dt>Holder</dt><dd id="lease-owner">${lease.owner}</dd>
  <dt>Token</dt><dd id="lease-token"><code>${lease.token}</code></dd>
  <dt>Expires</dt><dd id="lease-expires"><time datetime="${lease.expiresAt}">${shownTime(lease.expiresAt)}</time>${lease.state === 'held' && left > 0 ? ` (in ${shownDuration(left)})` : ''}</dd>
</dl>
${lease.state === 'expired' ? html`<p class="hint">The lease ended without a release: the step its holder was doing may not have finished. Release it to clear the stall, or let a worker acquire the workflow.</p>` : ''}
</section>`;
}

function versionsSection(view: WorkflowView): SafeHtml {
  const { history, diff } = view;
  const from = diff?.from ?? history.versions[1]?.version;
  const to = diff?.to ?? history.currentVersion;
  return html`<section id="versions" aria-labelledby="versions-h">
<h2 id="versions-h">Versions</h2>
<form id="diff-form" method="get" action="/board/w/${encodeURIComponent(view.workflow.id)}#diff">
<table class="versions">
<caption class="visually-hidden">Kept versions, newest first</caption>
<thead><tr><th scope="col">Version</th><th scope="col">Status</th><th scope="col">Type</th><th scope="col">Written</th><th scope="col">From</th><th scope="col">To</th></tr></thead>
<tbody>
${history.versions.map(
  (v) => html`<tr data-version="${v.version}">
<td>${v.version}</td><td>${v.status}</td><td>${v.type}</td><td><time datetime="${v.updatedAt}">${shownTime(v.updatedAt)}</time></td>
<td><input type="radio" name="from" value="${v.version}" id="from-${v.version}"${v.version === from ? html` checked` : ''}><label for="from-${v.version}" class="visually-hidden">Compare from version ${v.version}</label></td>
<td><input type="radio" name="to" value="${v.version}" id="to-${v.version}"${v.version === to ? html` checked` : ''}><label for="to-${v.version}" class="visually-hidden">Compare to version ${v.version}</label></td>
</tr>`,
)}
</tbody>
</table>
<p class="hint">${history.versions.length} kept (the store keeps the current version and up to WORKFLOW_HISTORY_VERSIONS before it).</p>
<button type="submit"${history.versions.length < 2 ? html` disabled` : ''}>Compare</button>
</form>
</section>`;
}

function diffSection(diff: VersionDiff): SafeHtml {
  const heading = html`<h2 id="diff-h">Changes from version ${diff.from} to ${diff.to}</h2>`;
  if (diff.kind === 'not-kept') {
    return html`<section id="diff" aria-labelledby="diff-h">${heading}<p class="problem">Version ${Math.min(diff.from, diff.to)} is no longer kept (the oldest kept is ${diff.oldest}).</p></section>`;
  }
  const { changes, total } = diff.diff;
  if (total === 0) return html`<section id="diff" aria-labelledby="diff-h">${heading}<p>No changes.</p></section>`;
  return html`<section id="diff" aria-labelledby="diff-h">${heading}
<table class="diff">
<caption class="visually-hidden">Changed paths</caption>
<thead><tr><th scope="col">Path</th><th scope="col">Change</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
<tbody>
${changes.map(
  (c) => html`<tr class="diff-${c.kind}"><td class="path"><code>${c.path}</code></td><td class="kind">${c.kind}</td><td class="before">${c.before === undefined ? '' : html`<code>${c.before}</code>`}</td><td class="after">${c.after === undefined ? '' : html`<code>${c.after}</code>`}</td></tr>`,
)}
</tbody>
</table>
${total > changes.length ? html`<p class="hint">${total - changes.length} more changes not shown.</p>` : ''}
</section>`;
}

function eventsSection(events: WorkflowEvent[] | 'off'): SafeHtml {
  const body =
    events === 'off'
      ? html`<p>The change feed is off (EVENTS_RETENTION_SECONDS=0).</p>`
      : events.length === 0
        ? html`<p>No events kept.</p>`
        : html`<ol id="event-list" class="events">
${events.map(
  (e) => html`<li data-op="${e.op}" data-version="${e.version}"><span class="op op-${e.op}">${e.op}</span> version ${e.version} · ${e.type} / ${e.status}${e.lease ? html` · lease ${e.lease.token} (${e.lease.owner})` : ''} · <time datetime="${e.at}">${shownTime(e.at)}</time></li>`,
)}
</ol>`;
  return html`<section id="events" aria-labelledby="events-h"><h2 id="events-h">Events</h2>${body}</section>`;
}
