// The bare HTTP server's variants against each other (bench/servers/bare-fastify-server.ts): auto-pipelining off,
// on, the Redis socket corked for a tick's microtasks, and corked until the event loop's turn ends. One
// redis-server, one process per variant, alternating rounds of 4 s (+1 s warm-up), 50 connections, autocannon in a
// process of its own. Ad hoc, not part of `npm run bench`; after `npm run build && npx tsc -p bench/tsconfig.json`:
//   node bench/adhoc/bare-variants-ab.mjs        (MODE=put for conditional PUTs, ROUNDS=6, SIZE=1024)
import { Redis } from 'ioredis';
import { RedisProcess } from '../../dist/bench/lib/redis-process.js';
import { NodeChild, runNode } from '../../dist/bench/lib/node-child.js';
import { freePort } from '../../dist/bench/lib/free-port.js';
import { makeState } from '../../dist/bench/lib/documents.js';

const MODE = process.env.MODE === 'put' ? 'put' : 'get';
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const SERVER = new URL('../../dist/bench/servers/bare-fastify-server.js', import.meta.url).pathname;
const RUNNER = new URL('../../dist/bench/load/autocannon-runner.js', import.meta.url).pathname;
const VARIANTS = {
  'auto-pipelining off': { BARE_AUTO_PIPELINING: 'off' },
  'auto-pipelining on': { BARE_AUTO_PIPELINING: 'on' },
  'corked per tick': { BARE_AUTO_PIPELINING: 'off', BARE_CORK: 'tick' },
  'corked per loop turn': { BARE_AUTO_PIPELINING: 'off', BARE_CORK: 'turn' },
};
const redis = await RedisProcess.start();
const servers = [];
for (const [name, env] of Object.entries(VARIANTS)) {
  const port = await freePort();
  const child = await NodeChild.start(SERVER, [], { REDIS_URL: redis.url, PORT: String(port), ...env }, `http://127.0.0.1:${port}/health`);
  servers.push({ name, url: `http://127.0.0.1:${port}`, child, runs: [] });
}
const raw = new Redis(redis.url);
const state = makeState(Number(process.env.SIZE ?? 1024));
const json = JSON.stringify(state);
const ids = Array.from({ length: 128 }, (_, k) => `v-${k}`);
for (const id of ids) await raw.set(`raw:h:${id}`, json);
for (let round = 0; round < ROUNDS; round++) {
  // Each round starts one variant later.
  for (let i = 0; i < servers.length; i++) {
    const server = servers[(i + round) % servers.length];
    if (MODE === 'put') for (const id of ids) await raw.del(`raw:hp:${id}`).then(() => raw.hset(`raw:hp:${id}`, 'v', 1, 'd', json));
    const input = { url: server.url, connections: 50, durationS: 4, warmupS: 1, mode: MODE, body: JSON.stringify({ state }), paths: ids.map((id) => `/docs/${id}`) };
    const result = JSON.parse(await runNode(RUNNER, [JSON.stringify(input)]));
    if (result.errors > 0) throw new Error(`${server.name}: ${result.errors} errors`);
    server.runs.push(Math.round(result.opsPerSec));
  }
}
const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
for (const server of servers) console.log(`${server.name}: median ${median(server.runs)} ${MODE.toUpperCase()}/s; rounds ${JSON.stringify(server.runs)}`);
raw.disconnect();
for (const server of servers) await server.child.stop();
redis.kill();
process.exit(0);
