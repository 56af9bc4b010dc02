// Store spans with no OpenTelemetry SDK: made (as before 1 Dec) or not made at all (now), A/B in one process.
// "spans": an SDK-like provider that hands out the API's no-op tracer is registered, so the store makes its no-op
// spans as it did; "none": no provider, so the store skips them. Alternating rounds of 2.5 s, 64 gets in flight,
// medians. Ad hoc, not part of `npm run bench`; after `npm run bench` (or `npm run build && tsc -p bench/tsconfig.json`):
//   node bench/adhoc/spans-ab.mjs        (SIZE=32768 for 32 KB states)
import { trace, ProxyTracerProvider } from '@opentelemetry/api';
import { RedisProcess } from '../../dist/bench/lib/redis-process.js';
import { makeState } from '../../dist/bench/lib/documents.js';
import { redisStore } from '../../dist/bench/lib/store-factory.js';
import { measure } from '../../dist/bench/lib/measure.js';
const noopTracer = new ProxyTracerProvider().getDelegate().getTracer('x');
const spansAnyway = { getTracer: () => noopTracer };
const redis = await RedisProcess.start();
const store = await redisStore(redis.url, 'bench');
const state = makeState(Number(process.env.SIZE ?? 1024));
for (let w = 0; w < 64; w++) await store.save(`g-${w}`, { type: 'invoice', state });
const op = async (w) => { if (!(await store.get(`g-${w}`))) throw new Error('missing'); };
await measure(op, { concurrency: 64, durationMs: 2000, warmupMs: 1000 });
const res = { spans: [], none: [] };
for (let r = 0; r < 8; r++) for (const mode of r % 2 ? ['spans', 'none'] : ['none', 'spans']) {
  trace.disable(); if (mode === 'spans') trace.setGlobalTracerProvider(spansAnyway);
  const c0 = process.cpuUsage(); const m = await measure(op, { concurrency: 64, durationMs: 2500, warmupMs: 300 }); const c = process.cpuUsage(c0);
  res[mode].push([Math.round(m.opsPerSec), +((c.user + c.system) / m.ops).toFixed(1)]);
}
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
for (const k of Object.keys(res)) console.log(k, 'median ops/s', med(res[k].map((x) => x[0])), 'median client µs/op (incl warm-up)', med(res[k].map((x) => x[1])), JSON.stringify(res[k]));
await store.close(); redis.kill(); process.exit(0);
