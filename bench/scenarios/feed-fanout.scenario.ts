import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startApi, type ApiReplica } from '../lib/api-process.js';
import type { BenchConfig } from '../lib/bench-config.js';
import type { Comparison } from '../lib/comparison.js';
import { makeState } from '../lib/documents.js';
import { fanoutRows, runText, withFailures } from '../lib/fanout-rows.js';
import { fanoutRun, type FanoutRun, type FanoutShape } from '../lib/fanout-run.js';
import { freePort } from '../lib/free-port.js';
import { inParallel } from '../lib/in-parallel.js';
import type { Measurement } from '../lib/measure.js';
import { NodeChild } from '../lib/node-child.js';
import type { VersionedWrite } from '../lib/paced-writes.js';
import { pairedRuns } from '../lib/paired-runs.js';
import { procSample } from '../lib/proc-usage.js';
import { serverNodeArgs } from '../lib/profile-args.js';
import type { RedisProcess } from '../lib/redis-process.js';
import { redisStore } from '../lib/store-factory.js';
import { WritePool } from '../lib/write-pool.js';

const BARE_SSE_SERVER = fileURLToPath(new URL('../servers/bare-sse-server.js', import.meta.url));
const PREFIX = 'feedfan';
const CHANNEL = 'bench:fanout';
/** Workflows the writer rotates over (up to 200 writes/s, one in flight per workflow). */
const POOL = 64;

/** A stand-in event like the API's (same fields, same size), published for the bare server to fan out. */
function bareWriter(publisher: Redis): VersionedWrite {
  let seq = 0;
  return async (id, expected) => {
    const eventId = `${Date.now()}-${seq++}-0`;
    const event = { eventId, id, op: 'updated', version: expected, type: 'invoice', status: 'created', at: new Date().toISOString(), tenant: 'default' };
    const receivers = await publisher.publish(CHANNEL, `${eventId} ${JSON.stringify(event)}`);
    return receivers > 0 ? expected : undefined;
  };
}

/**
 * Fan-out on one replica: `fanoutClients` SSE clients (node:http, one connection each, all in one client process of
 * their own: bench/load/sse-fanout-clients.ts) on the API's GET /events, and, for each of `fanoutRates`, that many
 * saves a second (store.save of a 1 KB state from this process, straight to Redis, so the replica does nothing but serve the feed).
 * Every client must receive every event within 60 s of the last write (counted; a miss, a reset or a broken
 * stream fails the row). Beside it, the replica's CPU (/proc/<pid>/stat) and RSS (once started, and per run before
 * the clients, with them idle, peak during). The baseline of delivery and CPU is a bare node:http server fanning out
 * one Redis SUBSCRIBE to the same number of clients, at the same rate, with an event of the same shape
 * (bench/servers/bare-sse-server.ts). The API process is started once and serves every API run; the hub keeps
 * following between runs (it lingers a minute).
 */
export async function feedFanoutScenario(config: BenchConfig, redis: RedisProcess, log: (line: string) => void): Promise<Comparison[]> {
  let api: ApiReplica | undefined;
  let bare: NodeChild | undefined;
  const store = await redisStore(redis.url, PREFIX);
  const publisher = new Redis(redis.url, { enableAutoPipelining: false });
  try {
    api = await startApi(redis.url, PREFIX, {}, serverNodeArgs(config.cpuProf));
    const barePort = await freePort();
    bare = await NodeChild.start(BARE_SSE_SERVER, serverNodeArgs(config.cpuProf), { REDIS_URL: redis.url, PORT: String(barePort), CHANNEL }, `http://127.0.0.1:${barePort}/health`);
    const barePid = bare.child.pid;
    if (barePid === undefined) throw new Error('the bare SSE server has no pid');
    const ids = Array.from({ length: POOL }, (_, k) => `fan-${k}`);
    const state = makeState(1024);
    const versions = new Map<string, number>();
    await inParallel(ids, 16, async (id) => void versions.set(id, (await store.save(id, { type: 'invoice', state })).version));
    const storePool = new WritePool(versions);
    const barePool = new WritePool(new Map(ids.map((id) => [id, 0])));
    const storeWrite: VersionedWrite = async (id) => (await store.save(id, { type: 'invoice', state })).version;
    const apiUrl = `${api.url}/events`;
    const bareUrl = `http://127.0.0.1:${barePort}/events`;
    const apiPid = api.pid;
    const freshApiRssBytes = procSample(apiPid).rssBytes;
    const rows: Comparison[] = [];
    for (const rate of config.fanoutRates) {
      const shape: FanoutShape = { clients: config.fanoutClients, rate, warmupS: config.feedWarmupS, durationS: config.feedDurationS };
      const apiRuns: FanoutRun[] = [];
      const bareRuns: FanoutRun[] = [];
      log(`feed-fanout: ${shape.clients} SSE clients, ${rate} writes/s for ${shape.durationS} s (+${shape.warmupS} s warm-up), API vs bare SSE server`);
      const paired = await pairedRuns(
        config.rounds,
        async (): Promise<Measurement> => {
          const run = await fanoutRun(apiUrl, apiPid, shape, storePool, storeWrite);
          apiRuns.push(run);
          log(`feed-fanout: ${runText(`API ${rate}/s`, run)}`);
          return withFailures(run);
        },
        async (): Promise<Measurement> => {
          const run = await fanoutRun(bareUrl, barePid, shape, barePool, bareWriter(publisher));
          bareRuns.push(run);
          log(`feed-fanout: ${runText(`bare ${rate}/s`, run)}`);
          return withFailures(run);
        },
      );
      rows.push(...fanoutRows(shape, paired, apiRuns, bareRuns, freshApiRssBytes));
    }
    return rows;
  } finally {
    publisher.disconnect();
    await store.close();
    await Promise.all([api?.process.stop(), bare?.stop()]);
    log('feed-fanout: servers stopped');
  }
}
