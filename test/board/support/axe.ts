/**
 * axe-core in a board page: the library is evaluated into the page over CDP (page.evaluate is not subject to the
 * page's CSP, which would block a <script> tag from elsewhere), then `axe.run()` checks the whole document.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(join(process.cwd(), 'node_modules/axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string; html: string; summary: string }[];
}

/** Every violation axe finds in the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(`${AXE_SOURCE}\n;undefined`);
  return page.evaluate(async () => {
    // In-page code (the root tsconfig has no DOM lib).
    const w = globalThis as any;
    const results = await w.axe.run(w.document, { resultTypes: ['violations'] });
    return results.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.map((n: any) => ({ target: n.target.join(' '), html: n.html.slice(0, 200), summary: n.failureSummary ?? '' })),
    }));
  });
}

/** Fails (printing them) when axe reports any serious or critical violation; prints the lesser ones. */
export async function expectNoSeriousViolations(page: Page, label: string): Promise<void> {
  const violations = await axeViolations(page);
  const describe = (v: AxeViolation): string =>
    `[${v.impact}] ${v.id}: ${v.help}\n${v.nodes.map((n) => `      ${n.target}  ${n.html}\n        ${n.summary.replace(/\n/g, '\n        ')}`).join('\n')}`;
  const minor = violations.filter((v) => v.impact !== 'serious' && v.impact !== 'critical');
  if (minor.length > 0) console.log(`axe on ${label}: ${minor.length} minor or moderate violation(s):\n  ${minor.map(describe).join('\n  ')}`);
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (serious.length > 0) throw new Error(`axe on ${label}: ${serious.length} serious or critical violation(s):\n  ${serious.map(describe).join('\n  ')}`);
}
