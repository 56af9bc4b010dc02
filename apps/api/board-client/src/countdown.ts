/**
 * TTL countdowns, on the server's clock: the page says what time the server had when it rendered
 * (`data-server-now-ms` on body), so a browser whose clock is off still counts down to the server's expiry.
 * One interval per page updates every `time[data-countdown]` (list rows, including rows inserted later) and the
 * workflow page's `#ttl-countdown`.
 */

import { formatRemaining } from './time-format.js';

const SECOND = 1000;

export interface Countdowns {
  /** Redraws now (after a touch moved an expiry). */
  tick(): void;
}

/** Starts the page's countdowns, on the server's clock as the page gave it. */
export function startCountdowns(): Countdowns {
  const serverNow = Number(document.body.dataset.serverNowMs);
  const offset = Number.isFinite(serverNow) && serverNow > 0 ? serverNow - localTimeOfRender() : 0;
  const tick = (): void => {
    const now = Date.now() + offset;
    for (const time of document.querySelectorAll<HTMLTimeElement>('time[data-countdown]')) {
      const left = Date.parse(time.dateTime) - now;
      show(time, left > 0 ? `in ${formatRemaining(left)}` : 'expired', left <= 0);
    }
    const ttl = document.getElementById('ttl-countdown');
    if (ttl !== null) {
      const left = Number(ttl.dataset.expiresAtMs) - now;
      show(ttl, left > 0 ? `${formatRemaining(left)} left` : 'expired', !(left > 0));
    }
  };
  tick();
  setInterval(tick, SECOND);
  return { tick };
}

/**
 * The browser's time when the server wrote `data-server-now-ms`: when the page's first byte arrived. A module script
 * starts only once the whole page is parsed, which for a page carrying a 1 MiB state is a second later on a slow
 * machine: taking Date.now() there would show a second too much. Without navigation timing, now.
 */
function localTimeOfRender(): number {
  const [navigation] = performance.getEntriesByType('navigation');
  if (navigation instanceof PerformanceNavigationTiming && navigation.responseStart > 0) {
    return performance.timeOrigin + navigation.responseStart;
  }
  return Date.now();
}

/** Writes only on change: 500 rows rewritten every second would be layout work for nothing. */
function show(element: HTMLElement, text: string, expired: boolean): void {
  if (element.textContent !== text) element.textContent = text;
  element.classList.toggle('expired', expired);
}
