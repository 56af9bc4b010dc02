import { NotFoundError } from '../../errors/not-found.error.js';
import type { WorkflowStore } from '../../workflow-store.js';
import type { MoveStep } from './move-step.js';

/** Workflows listed, then moved together (restores in flight at once). */
const PAGE_SIZE = 200;

/**
 * Moves one v2 layout of a tenant (a store opened at its old shard count, or under another prefix) into `target`
 * by walking `list`: the walk's cursor is a position in the index, so removing what was already listed does not
 * disturb it. Removal is a `delete` at the version copied: should anything have written the workflow since, the
 * delete is refused and the workflow counted as failed rather than lost.
 */
export async function moveLayout(source: WorkflowStore, target: WorkflowStore, step: MoveStep, onPage: () => void): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await source.list({ limit: PAGE_SIZE, cursor });
    await Promise.all(
      page.items.map((workflow) =>
        step.move(workflow.id, workflow, target, async () => {
          try {
            await source.delete(workflow.id, { expectedVersion: workflow.version });
          } catch (error) {
            if (!(error instanceof NotFoundError)) throw error; // expired meanwhile: nothing left to remove
          }
        }),
      ),
    );
    cursor = page.nextCursor ?? undefined;
    onPage();
  } while (cursor);
}
