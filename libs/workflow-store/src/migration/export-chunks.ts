import { DEFAULT_TENANT } from '../workflow.schema.js';
import type { WorkflowStore } from '../workflow-store.js';
import { endLine, headerLine, recordLine } from './ndjson-format.js';

/** Workflows read per list page: large enough to amortise round trips, small enough to keep memory flat. */
const EXPORT_PAGE_SIZE = 500;

export interface ExportOptions {
  pageSize?: number;
  /**
   * Written on every line (`"tenant"`), so an import puts each workflow back under the tenant it came from. The
   * default tenant is not written: lines without a tenant are the default tenant's (or the importer's choice).
   */
  tenant?: string;
  /** Called after each page with the workflows written so far and the count taken at the start. */
  onPage?: (written: number, expected: number) => void;
}

/**
 * The whole store as export-file text, one chunk per list page, for piping into a file, stdout or an HTTP
 * response. Memory stays flat (one page at a time). A backend failure mid-way rejects the iteration, so the
 * output never gets its end line and readers see it as truncated rather than complete.
 */
export async function* exportChunks(store: WorkflowStore, options: ExportOptions = {}): AsyncGenerator<string, void, undefined> {
  const tag = options.tenant === DEFAULT_TENANT ? undefined : options.tenant;
  const expected = await store.count();
  yield `${headerLine('export', expected)}\n`;
  let written = 0;
  let cursor: string | undefined;
  do {
    const page = await store.list({ limit: options.pageSize ?? EXPORT_PAGE_SIZE, cursor });
    if (page.items.length > 0) yield `${page.items.map((workflow) => recordLine(workflow, tag)).join('\n')}\n`;
    written += page.items.length;
    options.onPage?.(written, expected);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  yield `${endLine(written)}\n`;
}
