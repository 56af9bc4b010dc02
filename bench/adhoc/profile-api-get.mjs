// A CPU profile of the API (dist/apps/api/src/main.js) serving GET /workflows/:id (or conditional PUTs: MODE=put)
// under the bench's HTTP load: one redis-server, 128 workflows, 50 connections for 8 s (+1 s warm-up), autocannon in
// a process of its own; the API runs with --cpu-prof and writes its profile when it exits. Ad hoc; after
// `npm run build && npx tsc -p bench/tsconfig.json`:
//   node bench/adhoc/profile-api-get.mjs <profile dir>     then   node dist/bench/lib/profile-summary.js <dir>/*.cpuprofile
import { RedisProcess } from '../../dist/bench/lib/redis-process.js';
import { NodeChild, runNode } from '../../dist/bench/lib/node-child.js';
import { freePort } from '../../dist/bench/lib/free-port.js';
import { makeState } from '../../dist/bench/lib/documents.js';
import { redisStore } from '../../dist/bench/lib/store-factory.js';

const [outDir] = process.argv.slice(2);
if (!outDir) throw new Error('usage: node bench/adhoc/profile-api-get.mjs <profile dir>');
const MODE = process.env.MODE === 'put' ? 'put' : 'get';
const API = new URL('../../dist/apps/api/src/main.js', import.meta.url).pathname;
const RUNNER = new URL('../../dist/bench/load/autocannon-runner.js', import.meta.url).pathname;
const redis = await RedisProcess.start();
const port = await freePort();
const env = { USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'prof', REDIS_PERSISTENCE_CHECK: 'off', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
const api = await NodeChild.start(API, ['--cpu-prof', `--cpu-prof-dir=${outDir}`, '--cpu-prof-interval=100'], env, `http://127.0.0.1:${port}/health/ready`);
const store = await redisStore(redis.url, 'prof');
const state = makeState(Number(process.env.SIZE ?? 1024));
const ids = Array.from({ length: 128 }, (_, k) => `p-${k}`);
for (const id of ids) await store.save(id, { type: 'invoice', state });
const input = { url: `http://127.0.0.1:${port}`, connections: 50, durationS: 8, warmupS: 1, mode: MODE, body: JSON.stringify({ state }), paths: ids.map((id) => `/workflows/${id}`) };
const result = JSON.parse(await runNode(RUNNER, [JSON.stringify(input)]));
console.log(`${Math.round(result.opsPerSec)} ${MODE.toUpperCase()}/s, ${result.errors} errors; profile in ${outDir}`);
await store.close();
await api.stop();
redis.kill();
process.exit(0);
