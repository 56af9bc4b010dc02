/** Entry module of the list page (/board): countdowns, and the live table when the page has an events URL. */
import { startCountdowns } from './countdown.js';
import { goLive } from './live-list.js';
import { ListRows, renderedFilters } from './list-rows.js';

startCountdowns();

const eventsUrl = document.body.dataset.eventsUrl;
const tbody = document.querySelector<HTMLTableSectionElement>('#workflows > tbody');
// No events URL (the stalled view): the page stays as rendered.
if (eventsUrl !== undefined && eventsUrl !== '' && tbody !== null) {
  const filters = document.getElementById('filters');
  const renderedAt = Number(document.body.dataset.serverNowMs);
  const rows = new ListRows(tbody, renderedFilters(filters instanceof HTMLFormElement ? filters : null), Number.isFinite(renderedAt) ? renderedAt : -Infinity);
  goLive(eventsUrl, (event) => rows.apply(event), document.getElementById('live-status'));
}
