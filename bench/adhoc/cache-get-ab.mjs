// store.get with the state cache on (WORKFLOW_STATE_CACHE_BYTES default) or off (0): two stores on one redis-server,
// alternating rounds of 2.5 s, 64 gets in flight, medians of ops/s and client CPU µs per get (process.cpuUsage, GC
// included). Ad hoc, not part of `npm run bench`; after `npm run build && npx tsc -p bench/tsconfig.json`:
//   SIZE=32768 node bench/adhoc/cache-get-ab.mjs
import { RedisProcess } from '../../dist/bench/lib/redis-process.js';
import { makeState } from '../../dist/bench/lib/documents.js';
import { redisStore } from '../../dist/bench/lib/store-factory.js';
import { measure } from '../../dist/bench/lib/measure.js';
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const redis = await RedisProcess.start();
const state = makeState(Number(process.env.SIZE ?? 32768));
const stores = { on: await redisStore(redis.url, 'on'), off: await redisStore(redis.url, 'off', { WORKFLOW_STATE_CACHE_BYTES: '0' }) };
for (const store of Object.values(stores)) for (let w = 0; w < 64; w++) await store.save(`g-${w}`, { type: 'invoice', state });
const opOf = (store) => async (w) => { if (!(await store.get(`g-${w}`))) throw new Error('missing'); };
for (const store of Object.values(stores)) await measure(opOf(store), { concurrency: 64, durationMs: 1500, warmupMs: 500 });
const res = { on: [], off: [] };
for (let r = 0; r < ROUNDS; r++) for (const mode of r % 2 ? ['on', 'off'] : ['off', 'on']) {
  const c0 = process.cpuUsage();
  const m = await measure(opOf(stores[mode]), { concurrency: 64, durationMs: 2500, warmupMs: 300 });
  const c = process.cpuUsage(c0);
  res[mode].push([Math.round(m.opsPerSec), +((c.user + c.system) / m.ops).toFixed(1)]);
}
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
for (const k of Object.keys(res)) console.log(`cache ${k}: median ${med(res[k].map((x) => x[0]))} gets/s, ${med(res[k].map((x) => x[1]))} client µs/get (incl. warm-up); rounds ${JSON.stringify(res[k])}`);
for (const store of Object.values(stores)) await store.close();
redis.kill();
process.exit(0);
