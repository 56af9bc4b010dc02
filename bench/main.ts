// npm run bench [-- --quick] [-- --cpu-prof] [-- --only=group,...]
// Groups: get, update, save, keyv, save-idempotency, memory-get, memory-update, http-get, http-put, memory-usage,
// memory-idempotency, memory-feed, feed-write, feed-latency, feed-fanout, lease, capacity, capacity-cluster, list,
// list-shards, list-filter-shards, checkpoint (also starts its own PostgreSQL: scripts/ensure-postgres.mjs installs it when missing).
// Starts its own redis-server, measures every figure of the store against a raw baseline in the same run, prints
// the table, and for a full run of every figure writes bench/results/latest.json and the results block of
// BENCHMARKS.md; any other run (--quick, --only) writes bench/results/partial.json and leaves both alone.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { benchConfig, wants } from './lib/bench-config.js';
import type { Comparison } from './lib/comparison.js';
import { RedisProcess, REDIS_BENCH_SETTINGS } from './lib/redis-process.js';
import { gitCommit, machineInfo, printSummary, updateBenchmarksMd, writeJson, type RunInfo } from './report.js';
import { capacityClusterScenario } from './scenarios/capacity-cluster.scenario.js';
import { capacityMemoryScenario } from './scenarios/capacity-memory.scenario.js';
import { capacityScenario } from './scenarios/capacity.scenario.js';
import { checkpointScenario } from './scenarios/checkpoint.scenario.js';
import { feedFanoutScenario } from './scenarios/feed-fanout.scenario.js';
import { feedLatencyScenario } from './scenarios/feed-latency.scenario.js';
import { feedMemoryScenario } from './scenarios/feed-memory.scenario.js';
import { feedWriteScenario } from './scenarios/feed-write.scenario.js';
import { leaseScenario } from './scenarios/lease.scenario.js';
import { httpScenario } from './scenarios/http.scenario.js';
import { idempotencyMemoryScenario } from './scenarios/idempotency-memory.scenario.js';
import { idempotencySaveScenario } from './scenarios/idempotency-save.scenario.js';
import { listShardsScenario } from './scenarios/list-shards.scenario.js';
import { listScenario } from './scenarios/list.scenario.js';
import { memoryBackendScenario } from './scenarios/memory-backend.scenario.js';
import { redisMemoryScenario } from './scenarios/redis-memory.scenario.js';
import { redisStoreScenario } from './scenarios/redis-store.scenario.js';

const root = (relative: string): string => fileURLToPath(new URL(`../../${relative}`, import.meta.url));

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const config = benchConfig(argv);
  const started = performance.now();
  const loadAtStart = loadavg();
  const log = (line: string): void => void process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
  const redis = await RedisProcess.start();
  log(`redis-server pid ${redis.pid} on port ${redis.port} (${REDIS_BENCH_SETTINGS})`);
  const rows: Comparison[] = [];
  const extra: Record<string, unknown> = {};
  try {
    const storeGroups = ['get', 'update', 'save', 'keyv'];
    if (storeGroups.some((g) => wants(config, g))) rows.push(...(await redisStoreScenario(config, redis.url, log)));
    if (wants(config, 'save-idempotency')) rows.push(...(await idempotencySaveScenario(config, redis, log)));
    if (wants(config, 'memory-get') || wants(config, 'memory-update')) rows.push(...(await memoryBackendScenario(config, log)));
    if (wants(config, 'http-get') || wants(config, 'http-put')) rows.push(...(await httpScenario(config, redis.url, log)));
    if (wants(config, 'memory-usage')) rows.push(...(await redisMemoryScenario(config, redis, log)));
    // Before the list fills: its used_memory delta is best taken while no big dict of another scenario is rehashing.
    if (wants(config, 'memory-idempotency')) rows.push(...(await idempotencyMemoryScenario(config, redis, log)));
    // Also before the list fills, for the same reason.
    if (wants(config, 'memory-feed')) rows.push(...(await feedMemoryScenario(config, redis, log)));
    if (wants(config, 'feed-write')) rows.push(...(await feedWriteScenario(config, redis, log)));
    if (wants(config, 'lease')) rows.push(...(await leaseScenario(config, redis, log)));
    // capacity-cluster checks the model against the per-op Redis CPU that capacity measures, so it runs that too.
    if (wants(config, 'capacity') || wants(config, 'capacity-cluster')) {
      const capacity = await capacityScenario(config, redis, log);
      extra.capacity = capacity.costs;
      if (wants(config, 'capacity')) rows.push(...capacity.rows, ...(await capacityMemoryScenario(config, redis, log)));
      if (wants(config, 'capacity-cluster')) {
        const cluster = await capacityClusterScenario(config, capacity.costs.find((c) => c.key === 'update'), log);
        rows.push(...cluster.rows);
        extra.capacityCluster = cluster.extra;
      }
    }
    if (wants(config, 'feed-latency')) rows.push(...(await feedLatencyScenario(config, redis, log)));
    if (wants(config, 'feed-fanout')) rows.push(...(await feedFanoutScenario(config, redis, log)));
    if (wants(config, 'list')) {
      const list = await listScenario(config, redis.url, log);
      rows.push(...list.rows);
      extra.listFill = list.fill;
    }
    if (wants(config, 'list-shards') || wants(config, 'list-filter-shards')) {
      const list = await listShardsScenario(config, redis, log);
      rows.push(...list.rows);
      extra.listShardsFill = list.fill;
    }
    if (wants(config, 'checkpoint')) {
      const checkpoint = await checkpointScenario(config, redis, log);
      rows.push(...checkpoint.rows);
      extra.checkpoint = checkpoint.extra;
    }
    const info: RunInfo = {
      date: new Date().toISOString(),
      mode: config.quick ? 'quick' : 'full',
      command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
      durationSeconds: (performance.now() - started) / 1000,
      machine: machineInfo(await redis.version(), loadAtStart),
      redisSettings: REDIS_BENCH_SETTINGS,
      commit: gitCommit(),
      rounds: config.rounds,
      httpRounds: config.httpRounds,
      extra: { ...extra, quickBigListSize: config.quick ? config.listBig : undefined },
    };
    printSummary(rows, info);
    // Only a full run of every figure replaces the recorded results; a partial one must not overwrite them.
    const complete = !config.quick && config.only.length === 0;
    const json = complete ? 'bench/results/latest.json' : 'bench/results/partial.json';
    writeJson(root(json), rows, info);
    log(`wrote ${json}`);
    if (complete) {
      updateBenchmarksMd(root('BENCHMARKS.md'), rows, info);
      log('updated the results block of BENCHMARKS.md');
    } else {
      log('partial run (--quick or --only): BENCHMARKS.md and bench/results/latest.json left as they are');
    }
    if (config.quick) log(`quick mode: one short run per figure, the big list store has ${config.listBig.toLocaleString('en-US')} workflows (full mode: 1,000,000)`);
  } finally {
    redis.kill();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
