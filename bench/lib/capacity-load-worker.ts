// A load generator process of the capacity-cluster figure (run by bench/scenarios/capacity-cluster.scenario.ts):
//   node capacity-load-worker.js <seeds> <prefix> <startAtEpochMs> <warmupMs> <durationMs> <concurrency>
// Opens the store on the cluster as an application does (REDIS_CLUSTER_NODES), saves one 1 KB workflow per worker,
// waits for startAt, runs `update` with expectedVersion (each worker on its own workflow) through the warm-up and the
// measured window, and prints one JSON line: the updates completed in the window, errors, and this process's CPU.
import { randomUUID } from 'node:crypto';
import { createWorkflowStore, loadWorkflowStoreConfig } from '#workflow-store';
import { makeState } from './documents.js';

const [seeds, prefix, startAtArg, warmupArg, durationArg, concurrencyArg] = process.argv.slice(2);
const startAt = Number(startAtArg);
const measuredFrom = startAt + Number(warmupArg);
const end = measuredFrom + Number(durationArg);
const concurrency = Number(concurrencyArg);

async function main(): Promise<void> {
  const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
  const store = createWorkflowStore(
    loadWorkflowStoreConfig({ USE_REDIS: 'true', REDIS_CLUSTER_NODES: seeds as string, REDIS_KEY_PREFIX: prefix as string, REDIS_PERSISTENCE_CHECK: 'off', REDIS_PURGE_INTERVAL_MS: '0', LEASE_SWEEP_INTERVAL_MS: '0' }),
    quiet,
  );
  await store.connect();
  const state = makeState(1024);
  const ids = Array.from({ length: concurrency }, () => randomUUID());
  const versions = await Promise.all(ids.map(async (id) => (await store.save(id, { type: 'invoice', state })).version));
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
  let ops = 0;
  let errors = 0;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  const worker = async (w: number): Promise<void> => {
    for (let now = Date.now(); now < end; now = Date.now()) {
      if (now >= measuredFrom && !cpuAtStart) cpuAtStart = process.cpuUsage();
      try {
        const updated = await store.update(ids[w] as string, { state: { step: versions[w] as number } }, { expectedVersion: versions[w] as number });
        versions[w] = updated.version;
        if (now >= measuredFrom) ops++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(ids.map((_, w) => worker(w)));
  const cpu = process.cpuUsage(cpuAtStart);
  await store.close();
  process.stdout.write(`${JSON.stringify({ ops, errors, cpuUsec: cpu.user + cpu.system })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
