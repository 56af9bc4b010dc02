import { createWorkflowStore } from '../create-workflow-store.js';
import { loadWorkflowStoreConfig } from '../config/workflow-store.config.js';
import type { WorkflowStore } from '../workflow-store.js';
import type { Workflow } from '../workflow.types.js';
import { earlierVersions } from './export-history.js';

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** A memory store keeping `kept` earlier versions, with `wf` written `writes` times (states `{ n: 1..writes }`). */
async function storeWith(kept: number, writes: number): Promise<{ store: WorkflowStore; current: Workflow }> {
  const store = createWorkflowStore(loadWorkflowStoreConfig({ WORKFLOW_HISTORY_VERSIONS: String(kept) }), silent);
  await store.connect();
  let current = await store.create({ id: 'wf', type: 'form', state: { n: 1 } });
  for (let n = 2; n <= writes; n += 1) current = await store.save('wf', { status: `s${n}`, state: { n } });
  return { store, current };
}

/** `store` whose history read runs `meanwhile` before answering: a write racing the export between its reads. */
function racing(store: WorkflowStore, meanwhile: () => Promise<unknown>): WorkflowStore {
  const proxy = Object.create(store) as WorkflowStore;
  proxy.history = async (id: string) => {
    const history = await store.history(id);
    await meanwhile();
    return history;
  };
  return proxy;
}

describe('earlierVersions (export with history)', () => {
  it('reads every kept version before the listed one, oldest first, whole', async () => {
    const { store, current } = await storeWith(3, 6);
    const versions = await earlierVersions(store, current);
    expect(versions?.map((w) => [w.version, w.status, w.state])).toEqual([
      [3, 's3', { n: 3 }],
      [4, 's4', { n: 4 }],
      [5, 's5', { n: 5 }],
    ]);
    expect(versions?.[2]).toEqual(await store.getVersion('wf', 5));
    await store.close();
  });

  it('leaves out versions trimmed between the history read and the version reads, and newer ones written meanwhile', async () => {
    const { store, current } = await storeWith(3, 6);
    // Two writes trim versions 3 and 4; the listed version 6 and the new 7, 8 are not earlier versions of the line.
    const versions = await earlierVersions(racing(store, async () => {
      await store.save('wf', { state: { n: 7 } });
      await store.save('wf', { state: { n: 8 } });
    }), current);
    expect(versions?.map((w) => w.version)).toEqual([5]);
    await store.close();
  });

  it('answers null for a workflow deleted meanwhile', async () => {
    const { store, current } = await storeWith(3, 4);
    expect(await earlierVersions(racing(store, () => store.delete('wf')), current)).toBeNull();
    await store.close();
  });

  it('answers null when the id holds another workflow: created again below the listed version, or with another createdAt', async () => {
    const { store, current } = await storeWith(3, 4);
    await store.delete('wf');
    await store.create({ id: 'wf', type: 'form', state: { life: 2 } });
    await store.save('wf', { state: { life: 2, n: 2 } });
    expect(await earlierVersions(store, current)).toBeNull();

    const again = await storeWith(3, 4);
    const later = new Date(Date.parse(again.current.createdAt) + 1000).toISOString();
    const life2 = (version: number): Workflow => ({ ...again.current, createdAt: later, version, state: { life: 2, version } });
    const recreate = async (): Promise<void> => {
      await again.store.delete('wf');
      await again.store.restoreWithHistory({ workflow: life2(5), history: [1, 2, 3, 4].map(life2) });
    };
    // Versions 2 and 3, still wanted by the listed version 4, are now the other workflow's.
    expect(await earlierVersions(racing(again.store, recreate), again.current)).toBeNull();
    await again.store.close();
    await store.close();
  });
});
