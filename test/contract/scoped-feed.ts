/**
 * Helpers of the suites of conditional touch / release, lease views and one workflow's events
 * (expected-version.contract.ts, lease-view.contract.ts, workflow-events.contract.ts): every test works in a tenant
 * of its own with a watch opened before it writes, so what the feed delivered is an oracle independent of the
 * operations under test.
 */
import type { Lease, Workflow, WorkflowStore } from '#workflow-store';
import { Collector, freshTenant, sleep, uniq } from './feed-support.js';
import { leaseBrief } from './lease.contract.js';

export interface Scope {
  t: WorkflowStore;
  feed: Collector;
  tenant: string;
}

/** Opens tenant scopes and closes their watches at the end of the suite. */
export class Scopes {
  private readonly collectors: Collector[] = [];

  async open(store: WorkflowStore, label: string): Promise<Scope> {
    const tenant = freshTenant(label);
    const t = store.forTenant(tenant);
    const feed = await Collector.open(t, {}, undefined, `watch(${tenant})`);
    this.collectors.push(feed);
    return { t, feed, tenant };
  }

  async closeAll(): Promise<void> {
    for (const collector of this.collectors.splice(0)) await collector.close();
  }
}

/** What the feed delivered for each of `ids` (`op vN[ token owner]`), once a sentinel write proves the rest arrived. */
export async function delivered(scope: Scope, ...ids: string[]): Promise<string[][]> {
  await sleep(3);
  const end = uniq('sentinel');
  await scope.t.create({ id: end, type: 'sentinel', state: {} });
  await scope.feed.untilEventOf(end);
  return ids.map((id) => scope.feed.events.filter((e) => e.id === id).map(leaseBrief));
}

export function created(t: WorkflowStore, label = 'wf', ttlSeconds?: number): Promise<Workflow> {
  return t.create({ id: uniq(label), type: 'cv', status: 'cs', state: { n: 0 }, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) });
}

/** What a refused write must leave unchanged: the workflow (with its expiry) and its kept versions. */
export async function stored(t: WorkflowStore, id: string): Promise<unknown> {
  return { workflow: await t.get(id), history: await t.history(id) };
}

/** Waits until the lease has expired by the store's clock (same machine), with a margin. */
export async function pastExpiry(lease: Pick<Lease, 'expiresAt'>): Promise<void> {
  await sleep(Date.parse(lease.expiresAt) + 30 - Date.now());
}
