import type { StoreLogger } from '#workflow-store';

/** Collects what the store logs instead of printing it; tests may assert on `lines`. */
export function quietLogger(): StoreLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
}
