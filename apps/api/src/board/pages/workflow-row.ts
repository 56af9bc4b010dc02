import type { Workflow } from '#workflow-store';
import { html, type SafeHtml } from '../html.js';
import { shownDuration, shownTime } from './format.js';

/** The fields of a workflow a row shows (the state is never in a row). */
export type RowFields = Pick<Workflow, 'id' | 'type' | 'status' | 'version' | 'updatedAt' | 'expiresAt'>;

/** One row of the list; also served alone (GET /board/w/:id/row) for rows the live list inserts. */
export function workflowRow(w: RowFields, nowMs: number): SafeHtml {
  const left = (Date.parse(w.expiresAt) - nowMs) / 1000;
  return html`<tr data-id="${w.id}" data-version="${w.version}" data-type="${w.type}" data-status="${w.status}">
<td class="id"><a href="/board/w/${encodeURIComponent(w.id)}">${w.id}</a></td>
<td class="type">${w.type}</td>
<td class="status">${w.status}</td>
<td class="version">${w.version}</td>
<td class="updated"><time datetime="${w.updatedAt}">${shownTime(w.updatedAt)}</time></td>
<td class="expires"><time datetime="${w.expiresAt}" data-countdown>${left > 0 ? `in ${shownDuration(left)}` : 'expired'}</time></td>
</tr>`;
}
