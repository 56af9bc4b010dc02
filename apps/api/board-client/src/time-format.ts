/** How times and durations read on the board: the same words as the server's pages (apps/api/src/board/pages/format.ts). */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "42s", "59m 58s", "2h 03m", "3d 4h", or "expired" (at or below zero). Two units, the larger unpadded. */
export function formatRemaining(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return 'expired';
  // Whole seconds elapsed are dropped (floor), but the last partial second reads "1s": "0s" would look expired.
  const s = Math.floor(ms / SECOND);
  if (s < 60) return `${Math.max(s, 1)}s`;
  if (ms < HOUR) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)}h ${pad(Math.floor((ms % HOUR) / MINUTE))}m`;
  return `${Math.floor(ms / DAY)}d ${Math.floor((ms % DAY) / HOUR)}h`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** An ISO time as the server writes it on the board: `2026-11-30 14:37:23 UTC` (the store's clock is UTC). */
export function shownTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}
