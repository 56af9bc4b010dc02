import { V1_SHARDS } from '../../redis/v1-layout.js';
import type { WorkflowStore } from '../../workflow-store.js';
import type { MoveStep } from './move-step.js';
import { workflowOfRecord, type V1Source } from './v1-source.js';

/** Expiry index entries read, then moved together: restores in flight at once, v1 keys removed in one MULTI. */
const PAGE_SIZE = 250;

/**
 * Moves one v1 tenant segment into `target` (the v2 store of its tenant), shard by shard, page by page. A moved
 * workflow's v1 keys are removed, so the next page starts at the first entry kept (failed, or every entry in a dry
 * run or a copy into another prefix). A kill between a page's restores and its removal leaves those workflows in
 * both layouts; the re-run finds them `skipped-same` and removes them then.
 */
export async function moveV1Segment(source: V1Source, target: WorkflowStore, step: MoveStep, onPage: () => void): Promise<void> {
  for (let shard = 0; shard < V1_SHARDS; shard++) {
    let offset = 0;
    for (;;) {
      const page = await source.readPage(shard, offset, PAGE_SIZE);
      if (page.length === 0) break;
      const outcomes = await Promise.all(page.map((entry) => step.copy(entry.id, workflowOfRecord(entry.id, entry.record), target)));
      const copied = page.filter((_, i) => outcomes[i] !== undefined);
      // Only once every copy of the page is written (or found equal or newer) do their v1 keys go, together.
      if (step.removesSource) await source.remove(shard, copied);
      for (const outcome of outcomes) if (outcome !== undefined) step.count(outcome);
      offset += page.length - (step.removesSource ? copied.length : 0);
      onPage();
    }
  }
}
