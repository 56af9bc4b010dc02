import type { BenchConfig } from '../lib/bench-config.js';
import { latencyComparison, type Comparison } from '../lib/comparison.js';
import { DeliveryLog } from '../lib/delivery-log.js';
import { makeState } from '../lib/documents.js';
import { logFeedFrames, newTally } from '../lib/feed-frames.js';
import { httpPut, writerAgent } from '../lib/http-put.js';
import { inParallel } from '../lib/in-parallel.js';
import { latencyText } from '../lib/latency-summary.js';
import type { Measurement } from '../lib/measure.js';
import { pacedWrites } from '../lib/paced-writes.js';
import { pairedRuns } from '../lib/paired-runs.js';
import { medianOf } from '../lib/stats.js';
import { serverNodeArgs } from '../lib/profile-args.js';
import { pubsubLatency } from '../lib/pubsub-latency.js';
import type { RedisProcess } from '../lib/redis-process.js';
import { SseClient } from '../lib/sse-client.js';
import { startApi, type ApiReplica } from '../lib/api-process.js';
import { redisStore } from '../lib/store-factory.js';
import { WritePool } from '../lib/write-pool.js';

const PREFIX = 'feedlat';
/** Workflows the writer rotates over: far more than are ever in flight at once (1 000/s × a few ms). */
const POOL = 256;
/** Sockets of the writer's keep-alive agent. */
const WRITER_SOCKETS = 64;

/**
 * Change-feed latency across replicas: two API processes (A and B) on the bench Redis with the same key prefix, one
 * SSE client (node:http, its own connection) on B's GET /events, and `feedLatencyRate` writes a second (PUT
 * /workflows/:id of a 1 KB state, no If-Match, rotating over 256 workflows, one write in flight per workflow) sent
 * to A from this process. Each event is matched to its write by id and version; its latency is from the PUT being
 * sent (http.request called) to the chunk holding its frame being read on B's stream, in this process (one clock).
 * Writes of the warm-up are not counted. The baseline is a raw Redis PUBLISH → SUBSCRIBE at the same rate.
 */
export async function feedLatencyScenario(config: BenchConfig, redis: RedisProcess, log: (line: string) => void): Promise<Comparison[]> {
  const rate = config.feedLatencyRate;
  const { feedWarmupS: warmupS, feedDurationS: durationS } = config;
  let a: ApiReplica | undefined;
  let b: ApiReplica | undefined;
  const agent = writerAgent(WRITER_SOCKETS);
  const store = await redisStore(redis.url, PREFIX);
  const notes: string[] = [];
  try {
    a = await startApi(redis.url, PREFIX, {}, serverNodeArgs(config.cpuProf));
    b = await startApi(redis.url, PREFIX, {}, serverNodeArgs(config.cpuProf));
    const state = makeState(1024);
    const body = JSON.stringify({ type: 'invoice', state });
    const versions = new Map<string, number>();
    await inParallel(
      Array.from({ length: POOL }, (_, k) => `lat-${k}`),
      32,
      async (id) => void versions.set(id, (await store.save(id, { type: 'invoice', state })).version),
    );
    const pool = new WritePool(versions);
    const writerUrl = a.url;
    const streamUrl = `${b.url}/events`;
    const put = (id: string): Promise<number | undefined> => httpPut(agent, `${writerUrl}/workflows/${id}`, body);
    // Both replicas start cold: warm them up at the rate before anything is measured.
    log(`feed-latency: ${config.feedStartupWarmupS} s of unmeasured writes to warm the replicas up`);
    {
      const deliveries = new DeliveryLog(Math.ceil(rate * config.feedStartupWarmupS * 1.05) + 100, 1);
      const client = await SseClient.open(streamUrl, logFeedFrames(deliveries, 0, newTally()));
      try {
        await pacedWrites(pool, deliveries, rate, config.feedStartupWarmupS, 0, put);
        await deliveries.drain(2000);
      } finally {
        client.close();
      }
    }
    let round = 0;
    /** Per run, the same deliveries timed from the PUT's answer instead of its sending. */
    const fromAnswerRuns: Measurement[] = [];
    const subject = async (): Promise<Measurement> => {
      round++;
      const deliveries = new DeliveryLog(Math.ceil(rate * (warmupS + durationS) * 1.05) + 100, 1);
      const tally = newTally();
      const client = await SseClient.open(streamUrl, logFeedFrames(deliveries, 0, tally));
      try {
        const writes = await pacedWrites(pool, deliveries, rate, warmupS, durationS, put);
        await deliveries.drain(5000);
        const fromSent = deliveries.latency('sent', durationS);
        const fromAnswer = deliveries.latency('answered', durationS);
        const { acknowledged, unanswered, failed, foreign } = deliveries.writes();
        notes.push(
          `run ${round}: ${acknowledged} writes acknowledged (${failed} refused, ${unanswered} unanswered, ${writes.starved} not sent: pool busy), ` +
            `pacing lag ≤ ${writes.maxLagMs.toFixed(1)} ms; PUT answered in ${latencyText(deliveries.answerTimes(durationS))}; ` +
            `event from send ${latencyText(fromSent)}, from the PUT's answer ${latencyText(fromAnswer)}; ` +
            `${fromSent.errors} not delivered, ${tally.resets} resets, ${deliveries.duplicates} duplicates, ${foreign} foreign` +
            (client.failure ? `; stream broke: ${client.failure}` : ''),
        );
        const errors = fromSent.errors + failed + unanswered + tally.resets + (client.failure ? 1 : 0);
        fromAnswerRuns.push({ ...fromAnswer, errors });
        return { ...fromSent, errors };
      } finally {
        client.close();
      }
    };
    const baselineNotes: string[] = [];
    const baseline = async (): Promise<Measurement> => {
      const m = await pubsubLatency(redis.url, 'bench:feedlat', rate, warmupS, durationS);
      baselineNotes.push(latencyText(m));
      return m;
    };
    log(`feed-latency: ${rate} writes/s through replica A, SSE on replica B, ${durationS} s a run (+${warmupS} s warm-up), vs PUBLISH → SUBSCRIBE`);
    const paired = await pairedRuns(config.rounds, subject, baseline);
    const fromAnswer = medianOf(fromAnswerRuns);
    const row = (figure: string, subjectLabel: string, subject: Measurement, note: string): Comparison =>
      latencyComparison(
        { group: 'feed-latency', figure, size: `1 KB, ${rate} writes/s`, subjectLabel, baselineLabel: `raw Redis PUBLISH → SUBSCRIBE, ${rate}/s`, subject, baseline: paired.baseline, note },
        50,
      );
    return [
      row(
        'change feed: PUT sent to replica A → SSE frame on replica B',
        'API A PUT /workflows/:id sent → frame read from API B GET /events (one client)',
        paired.subject,
        `p50 / p99 / max, medians of the runs (max: the largest); store ${latencyText(paired.subject)}, baseline ${latencyText(paired.baseline)} ` +
          `(runs ${baselineNotes.join('; ')}); ${notes.join('; ')}; ops/s = events delivered a second`,
      ),
      row(
        'change feed: PUT answered by replica A → SSE frame on replica B',
        "the same events, timed from the PUT's answer (the write is committed)",
        fromAnswer,
        `the same runs as the row above; medians ${latencyText(fromAnswer)}; negative when the frame came before the answer`,
      ),
    ];
  } finally {
    agent.destroy();
    await store.close();
    await Promise.all([a?.process.stop(), b?.process.stop()]);
    log('feed-latency: replicas stopped');
  }
}
