import { writeFile } from 'node:fs/promises';
import { createWorkflowStore, loadWorkflowStoreConfig, type ValidatingWorkflowStore, type Workflow, type WorkflowStore } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';

/** ~2 KB of JSON state, different per index. */
export function stateOf(index: number): Workflow['state'] {
  return {
    step: index % 7,
    pages: Array.from({ length: 8 }, (_, p) => ({ page: p + 1, words: (index * 31 + p) % 997, ok: p % 2 === 0 })),
    text: `document ${index} `.repeat(90).slice(0, 1500),
    unicode: 'é漢🙂',
  };
}

/**
 * `count` live records with versions 1–5 and 10–60 minutes to live, as a memory snapshot would hold them, plus
 * `expired` records whose expiresAt has passed.
 */
export function makeRecords(count: number, expired = 0, idPrefix = 'mig'): { live: Workflow[]; expired: Workflow[] } {
  const now = Date.now();
  const record = (i: number, expiresAt: number): Workflow => ({
    id: `${idPrefix}-${i}`,
    type: i % 3 === 0 ? 'invoice' : 'form',
    status: ['created', 'review', 'approved'][i % 3] as string,
    state: stateOf(i),
    version: 1 + (i % 5),
    createdAt: new Date(now - 7_200_000 + i).toISOString(),
    updatedAt: new Date(now - 60_000 + (i % 1000)).toISOString(),
    expiresAt: new Date(expiresAt).toISOString(),
    ttlSeconds: 3600,
  });
  return {
    live: Array.from({ length: count }, (_, i) => record(i, now + 600_000 + (i % 3000) * 1000)),
    expired: Array.from({ length: expired }, (_, i) => record(count + i, now - 1000 - i)),
  };
}

/** A file in the snapshot/export format: header, one workflow a line, end line. */
export async function writeWorkflowFile(path: string, records: Workflow[], kind: 'snapshot' | 'export' = 'snapshot'): Promise<void> {
  const header = JSON.stringify({ format: 'workflow-store', version: 1, kind, count: records.length, createdAt: new Date().toISOString() });
  const end = JSON.stringify({ format: 'workflow-store', end: true, count: records.length });
  await writeFile(path, [header, ...records.map((r) => JSON.stringify(r)), end].join('\n') + '\n');
}

/** Every live workflow of a store, by id, by walking `list`. */
export async function allWorkflows(store: WorkflowStore): Promise<Map<string, Workflow>> {
  const found = new Map<string, Workflow>();
  let cursor: string | undefined;
  do {
    const page = await store.list({ limit: 1000, cursor });
    for (const workflow of page.items) {
      if (found.has(workflow.id)) throw new Error(`list returned ${workflow.id} twice`);
      found.set(workflow.id, workflow);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return found;
}

/** The `name N` figures of a summary line, e.g. `copied 10000` → { copied: 10000 }. */
export function summaryFigures(line: string): Record<string, number> {
  return Object.fromEntries([...line.matchAll(/(copied|skipped-same|skipped-newer|skipped-expired|failed) (\d+)/g)].map((m) => [m[1] as string, Number(m[2])]));
}

/** A connected store on `redisUrl` under `prefix`, added to `opened` so the test closes it. */
export async function openRedisStore(redisUrl: string, prefix: string, opened: ValidatingWorkflowStore[]): Promise<ValidatingWorkflowStore> {
  const store = createWorkflowStore(
    // Seeding and checking only (the CLI runs as its own process): a 5 s command timeout, as in the contract suites, so
    // thousands of restores queued at once on a loaded machine do not time out.
    loadWorkflowStoreConfig({ USE_REDIS: 'true', REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, REDIS_PERSISTENCE_CHECK: 'off', REDIS_COMMAND_TIMEOUT_MS: '5000' }),
    quietLogger(),
  );
  await store.connect();
  opened.push(store);
  return store;
}
