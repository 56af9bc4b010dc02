// Conditional PUTs (or GETs: MODE=get) against two builds of the API, A/B: the same redis-server, two API processes,
// alternating rounds of 4 s (+1 s warm-up), 50 connections, autocannon in a process of its own
// (bench/load/autocannon-runner). Each round seeds 128 fresh workflows per API. Ad hoc, not part of `npm run bench`;
// after a build of both trees:
//   node bench/adhoc/api-ab.mjs <dist of build A>/apps/api/src/main.js <dist of build B>/apps/api/src/main.js
//   (ROUNDS=6, SIZE=1024, MODE=put by default)
import { RedisProcess } from '../../dist/bench/lib/redis-process.js';
import { NodeChild, runNode } from '../../dist/bench/lib/node-child.js';
import { freePort } from '../../dist/bench/lib/free-port.js';
import { makeState } from '../../dist/bench/lib/documents.js';
import { redisStore } from '../../dist/bench/lib/store-factory.js';

const [mainA, mainB] = process.argv.slice(2);
if (!mainA || !mainB) throw new Error('usage: node bench/adhoc/api-ab.mjs <API main.js of A> <API main.js of B>');
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const SIZE = Number(process.env.SIZE ?? 1024);
const MODE = process.env.MODE === 'get' ? 'get' : 'put';
const RUNNER = new URL('../../dist/bench/load/autocannon-runner.js', import.meta.url).pathname;
const redis = await RedisProcess.start();
const sides = [];
for (const [name, main] of [['A', mainA], ['B', mainB]]) {
  const port = await freePort();
  const env = { USE_REDIS: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: `ab${name}`, REDIS_PERSISTENCE_CHECK: 'off', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  const api = await NodeChild.start(main, [], env, `http://127.0.0.1:${port}/health/ready`);
  sides.push({ name, api, url: `http://127.0.0.1:${port}`, store: await redisStore(redis.url, `ab${name}`), runs: [] });
}
const state = makeState(SIZE);
const body = JSON.stringify({ state });
const run = async (input) => JSON.parse(await runNode(RUNNER, [JSON.stringify(input)]));
for (let round = 0; round < ROUNDS; round++) {
  for (const side of round % 2 ? [...sides].reverse() : sides) {
    const ids = Array.from({ length: 128 }, (_, k) => `p${round}-${k}`);
    for (const id of ids) await side.store.save(id, { type: 'invoice', state });
    const result = await run({ url: side.url, connections: 50, durationS: 4, warmupS: 1, mode: MODE, body, paths: ids.map((id) => `/workflows/${id}`) });
    if (result.errors > 0) throw new Error(`${side.name}: ${result.errors} errors`);
    side.runs.push(Math.round(result.opsPerSec));
  }
}
const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
const [a, b] = sides;
const wins = a.runs.filter((value, i) => b.runs[i] > value).length;
console.log(`${SIZE} B ${MODE.toUpperCase()}/s: A median ${median(a.runs)} ${JSON.stringify(a.runs)}; B median ${median(b.runs)} ${JSON.stringify(b.runs)}; B faster in ${wins} of ${ROUNDS} rounds`);
for (const side of sides) {
  await side.store.close();
  await side.api.stop();
}
redis.kill();
