import type { LoadShape } from './measure.js';

export interface BenchConfig {
  quick: boolean;
  /** Runs per figure; the report shows medians. */
  rounds: number;
  /** In-process figures against Redis (64 in flight). */
  redisLoad: LoadShape;
  /** In-process figures of the memory backend (one at a time: pure CPU). */
  memoryLoad: LoadShape;
  /** List pages, one at a time. */
  listLoad: LoadShape;
  httpConnections: number;
  /**
   * Runs of each HTTP figure (medians): the same code's HTTP GET ratio moved between 0.45× and 0.78× across runs of
   * 3 rounds on this shared 2-core machine (1 Dec), so this group takes more rounds than the in-process ones.
   */
  httpRounds: number;
  httpDurationS: number;
  httpWarmupS: number;
  listSmall: number;
  listBig: number;
  /** Workflows per size written for the record part of the memory figure. */
  memorySample: number;
  /**
   * Workflows per shard written for the index part of the memory figure (× 64 shards): past Redis' listpack limits
   * (128 sorted-set entries, 512 hash fields), so every index key is in the encoding a real store's is in.
   */
  memoryIndexPerShard: number;
  /** Workflows in each of the two stores of the shard-count list figures (REDIS_SHARDS=16 and =1024). */
  listShardsSize: number;
  /** Keyed writes per round of the memory-per-idempotency-key figure. */
  idempotencyKeys: number;
  /**
   * Runs of each feed-write variant (medians): four variants on a shared 2-core machine moved by ±50 % between rounds
   * of 2 s, more than the difference measured, so this group takes more rounds than the others.
   */
  feedWriteRounds: number;
  /** Change-feed figures (feed-latency, feed-fanout): paced writes, seconds per measured run. */
  feedDurationS: number;
  /** Unmeasured paced writes before each change-feed run (JIT, the hub's first barrier, socket buffers). */
  feedWarmupS: number;
  /**
   * feed-latency: unmeasured paced writes through fresh API processes before the first run: a cold API answered a
   * few hundred PUTs a second for its first seconds, which queued the writer and made the first run's figure its JIT.
   */
  feedStartupWarmupS: number;
  /** feed-latency: writes per second through replica A. */
  feedLatencyRate: number;
  /**
   * feed-fanout: SSE clients on one replica, and the write rates (each a figure) every one of them must receive: the
   * issue's 200/s (200 000 frames a second) and 50/s, a load one replica's single thread can keep up with.
   */
  fanoutClients: number;
  fanoutRates: number[];
  /**
   * memory-feed: workflows written, and rewrites of each per round of the per-event figure (each rewrite is one event;
   * enough that every round fills several 100-entry stream nodes in each of the 64 shards' streams).
   */
  feedMemoryWorkflows: number;
  feedMemoryEventRewrites: number;
  /** Pass --cpu-prof to the API process (profiles in bench/results/profiles). */
  cpuProf: boolean;
  /** Run only these groups (e.g. --only=http,get); all when empty. */
  only: string[];
}

/** Every --only group, in the order main.ts runs them. */
export const GROUPS = [
  'get',
  'update',
  'save',
  'keyv',
  'save-idempotency',
  'memory-get',
  'memory-update',
  'http-get',
  'http-put',
  'memory-usage',
  'memory-idempotency',
  'memory-feed',
  'feed-write',
  'lease',
  'capacity',
  'capacity-cluster',
  'feed-latency',
  'feed-fanout',
  'list',
  'list-shards',
  'list-filter-shards',
  'checkpoint',
] as const;

export function benchConfig(argv: string[]): BenchConfig {
  const quick = argv.includes('--quick');
  const onlyArg = argv.find((a) => a.startsWith('--only='));
  const only = onlyArg ? onlyArg.slice('--only='.length).split(',').filter(Boolean) : [];
  const unknown = argv.filter((a) => a !== '--quick' && a !== '--cpu-prof' && !a.startsWith('--only='));
  if (unknown.length > 0) throw new Error(`unknown arguments: ${unknown.join(' ')} (use --quick, --cpu-prof, --only=group,...)`);
  const unknownGroups = only.filter((g) => !(GROUPS as readonly string[]).includes(g));
  if (unknownGroups.length > 0) throw new Error(`unknown --only groups: ${unknownGroups.join(', ')} (groups: ${GROUPS.join(', ')})`);
  return {
    quick,
    rounds: quick ? 1 : 3,
    redisLoad: { concurrency: 64, durationMs: quick ? 400 : 2000, warmupMs: quick ? 100 : 500 },
    memoryLoad: { concurrency: 1, durationMs: quick ? 400 : 1500, warmupMs: quick ? 150 : 400 },
    listLoad: { concurrency: 1, durationMs: quick ? 600 : 2000, warmupMs: quick ? 200 : 500 },
    httpConnections: 50,
    httpRounds: quick ? 1 : 5,
    httpDurationS: quick ? 1 : 4,
    httpWarmupS: quick ? 0.3 : 1,
    listSmall: 1_000,
    listBig: quick ? 100_000 : 1_000_000,
    memorySample: quick ? 500 : 2000,
    memoryIndexPerShard: 600,
    listShardsSize: quick ? 100_000 : 1_000_000,
    idempotencyKeys: quick ? 5_000 : 20_000,
    feedWriteRounds: quick ? 1 : 5,
    feedDurationS: quick ? 3 : 10,
    feedWarmupS: quick ? 1 : 2,
    feedStartupWarmupS: quick ? 3 : 5,
    feedLatencyRate: 1000,
    fanoutClients: 1000,
    fanoutRates: [200, 50],
    feedMemoryWorkflows: quick ? 500 : 2000,
    feedMemoryEventRewrites: 30,
    cpuProf: argv.includes('--cpu-prof'),
    only,
  };
}

export function wants(config: BenchConfig, group: string): boolean {
  return config.only.length === 0 || config.only.includes(group);
}
