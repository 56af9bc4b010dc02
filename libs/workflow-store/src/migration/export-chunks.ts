import { DEFAULT_TENANT } from '../workflow.schema.js';
import type { WorkflowStore } from '../workflow-store.js';
import type { Workflow } from '../workflow.types.js';
import { linesWithHistory } from './export-history.js';
import { endLine, headerLine, recordLine } from './ndjson-format.js';

/** Workflows read per list page: large enough to amortise round trips, small enough to keep memory flat. */
const EXPORT_PAGE_SIZE = 500;
/** With history a workflow costs several reads anyway, and its versions are held too: smaller pages. */
const HISTORY_PAGE_SIZE = 100;

export interface ExportOptions {
  pageSize?: number;
  /**
   * Written on every line (`"tenant"`), so an import puts each workflow back under the tenant it came from. The
   * default tenant is not written: lines without a tenant are the default tenant's (or the importer's choice).
   */
  tenant?: string;
  /**
   * Each line also carries the workflow's kept earlier versions (`"history"`, oldest first; format version 2).
   * Costs one history read plus one read per kept version, per workflow.
   */
  withHistory?: boolean;
  /** Called after each page with the workflows written so far, the count taken at the start, and the earlier versions written so far. */
  onPage?: (written: number, expected: number, versions: number) => void;
}

/**
 * The whole store as export-file text, one chunk per list page (with history: one per workflow), for piping into a
 * file, stdout or an HTTP response. Memory stays flat (one page at a time). A backend failure mid-way rejects the
 * iteration, so the output never gets its end line and readers see it as truncated rather than complete.
 */
export async function* exportChunks(store: WorkflowStore, options: ExportOptions = {}): AsyncGenerator<string, void, undefined> {
  const tag = options.tenant === DEFAULT_TENANT ? undefined : options.tenant;
  const withHistory = options.withHistory === true;
  const expected = await store.count();
  yield `${headerLine('export', expected, { history: withHistory })}\n`;
  let written = 0;
  let versions = 0;
  let cursor: string | undefined;
  do {
    const page = await store.list({ limit: options.pageSize ?? (withHistory ? HISTORY_PAGE_SIZE : EXPORT_PAGE_SIZE), cursor });
    if (withHistory) {
      for await (const line of linesWithHistory(store, page.items, tag)) {
        yield `${line.text}\n`;
        written += 1;
        versions += line.versions;
      }
    } else {
      if (page.items.length > 0) yield plainChunk(page.items, tag);
      written += page.items.length;
    }
    options.onPage?.(written, expected, versions);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  yield `${endLine(written)}\n`;
}

function plainChunk(items: readonly Workflow[], tag: string | undefined): string {
  return `${items.map((workflow) => recordLine(workflow, tag)).join('\n')}\n`;
}
