// TEMPORARY: fault injection to prove the contract suite can fail. Not part of the deliverable.
import { createWorkflowStore, loadWorkflowStoreConfig, type WorkflowStore } from '#workflow-store';
import { quietLogger } from '../support/quiet-logger.js';
import { describeWorkflowStoreContract, type ContractStore } from './workflow-store.contract.js';

const mutant = Number(process.env.MUTANT ?? '0');
/* eslint-disable */
function wrap(s: ContractStore): ContractStore {
  const w = Object.create(s) as any; // any: test-only monkey patching
  const real = s as any;
  const bind = (n: string) => real[n].bind(s);
  const get = bind('get'), create = bind('create'), save = bind('save'), update = bind('update'), del = bind('delete'), list = bind('list'), touch = bind('touch'), restore = bind('restore'), mutate = bind('mutate');
  w.get = get; w.create = create; w.save = save; w.update = update; w.delete = del; w.list = list; w.touch = touch; w.restore = restore; w.mutate = mutate;
  w.ping = bind('ping'); w.close = bind('close');
  switch (mutant) {
    case 1: w.update = async (id: string, p: any, o: any) => { if (p.state) p = { ...p, state: Object.fromEntries(Object.entries(p.state).filter(([, v]) => v !== null)) }; return update(id, p, o); }; break;
    case 2: w.save = async (id: string, i: any, o: any) => { const r = await save(id, i, o); return { ...r, version: Math.max(1, r.version - 1) }; }; break;
    case 3: w.create = async (i: any, o: any) => { try { return await create(i, o); } catch (e: any) { if (e.name === 'AlreadyExistsError') return save(i.id, { state: i.state, type: i.type }); throw e; } }; break;
    case 4: w.list = async (q: any) => { const r = await list(q); return { ...r, items: r.items.slice(0, Math.max(0, r.items.length - (r.nextCursor ? 1 : 0))) }; }; break;
    case 5: w.touch = async (id: string, o: any) => { const r = await touch(id, o); return { ...r, updatedAt: new Date().toISOString() }; }; break;
    case 6: w.delete = async (id: string, o: any) => { try { await del(id, o); } catch (e: any) { if (e.name !== 'NotFoundError') throw e; } }; break;
    case 7: { const strip = (o: any) => { if (!o) return o; const { operationId, ...rest } = o; return rest; };
      w.create = (i: any, o: any) => create(i, strip(o)); w.save = (id: string, i: any, o: any) => save(id, i, strip(o)); w.update = (id: string, p: any, o: any) => update(id, p, strip(o)); w.delete = (id: string, o: any) => del(id, strip(o)); w.touch = (id: string, o: any) => touch(id, strip(o)); break; }
    case 8: w.create = (i: any, o: any) => { const { ttlSeconds, ...rest } = i; return create(rest, o); }; break;
    case 9: w.restore = async (r: any) => { const out = await restore(r); return out === 'skipped-newer' ? 'written' : out; }; break;
    case 10: w.update = async (id: string, p: any, o: any) => { if (o?.expectedVersion) { const { expectedVersion, ...rest } = o; return update(id, p, rest); } return update(id, p, o); }; break;
    case 11: { const cache = new Map<string, any>(); w.get = async (id: string) => { const r = await get(id); if (!r) return r; const c = cache.get(id); if (c && c.version === r.version) return c; cache.set(id, r); return r; }; break; }
    case 12: w.get = async (id: string) => { const r = await get(id); if (r && Date.parse(r.expiresAt) - Date.now() < 200) return r; return r; }; w.touch = async (id: string, o: any) => { const r = await get(id); if (!r) return touch(id, o); return r; }; break;
  }
  return w as ContractStore;
}
describeWorkflowStoreContract(`mutant ${mutant}`, async (env = {}) => {
  const store = createWorkflowStore(loadWorkflowStoreConfig(env), quietLogger());
  await store.connect();
  return wrap(store as WorkflowStore as ContractStore);
}, { listSize: 600, propertyRuns: 50 });
