/** An ISO time as people read it on the board: `2026-11-30 14:37:23 UTC` (the store's clock is UTC). */
export function shownTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** A duration in seconds as `1d 2h`, `3h 04m`, `5m 06s`, `7s`. */
export function shownDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${pad(m)}m`;
  if (m > 0) return `${m}m ${pad(s % 60)}s`;
  return `${s}s`;
}

/** How a number of workflows reads: `3 012`. */
export function shownCount(n: number): string {
  return n.toLocaleString('en-US').replace(/,/g, '\u202f');
}
