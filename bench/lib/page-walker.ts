import type { ListQuery, ValidatingWorkflowStore } from '#workflow-store';

export const PAGE = 100;

/** Pages and workflows a walker returned, warm-up included (to turn server command counts into per-page figures). */
export interface WalkCounts {
  pages: number;
  items: number;
}

/** Walks pages of 100 (optionally filtered) from the start, following cursors, starting over at the end. */
export function pageWalker(
  store: ValidatingWorkflowStore,
  filter: Pick<ListQuery, 'type' | 'status'> = {},
  counts: WalkCounts = { pages: 0, items: 0 },
): () => Promise<void> {
  let cursor: string | undefined;
  return async () => {
    const page = await store.list({ ...filter, limit: PAGE, cursor });
    if (page.items.length !== PAGE && page.nextCursor !== null) throw new Error(`short page: ${page.items.length}`);
    counts.pages += 1;
    counts.items += page.items.length;
    cursor = page.nextCursor ?? undefined;
  };
}
