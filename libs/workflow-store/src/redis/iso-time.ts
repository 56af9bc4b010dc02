/** `YYYY-MM-DDT` of recent days, by day number since the epoch. Bounded: cleared when full. */
const dayPrefixes = new Map<number, string>();
const MAX_DAYS_CACHED = 4096;
const DAY_MS = 86_400_000;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * Exactly `new Date(ms).toISOString()` for a whole number of ms, about 6× faster: every read of a Redis record
 * turns three stored times into ISO strings, and `toISOString` was a tenth of a 1 KB read's CPU time. The date
 * part comes from `toISOString` once per day, the time of day by arithmetic.
 */
export function isoTime(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    const iso = new Date(day * DAY_MS).toISOString();
    prefix = iso.slice(0, iso.indexOf('T') + 1);
    if (dayPrefixes.size >= MAX_DAYS_CACHED) dayPrefixes.clear();
    dayPrefixes.set(day, prefix);
  }
  let rest = ms - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${prefix}${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${pad3(rest - seconds * 1000)}Z`;
}
