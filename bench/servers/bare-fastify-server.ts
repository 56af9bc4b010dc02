// The bare baseline of the HTTP figures: Fastify with one ioredis GET per read and the bare CAS script per
// conditional PUT, and nothing else (no validation, no metrics, no Nest). Run as its own process by the bench.
// Variants (env), the bench takes the fastest as the baseline (see http.scenario.ts): BARE_AUTO_PIPELINING=on|off
// (default off), BARE_HANDLER=async|sync (default async), BARE_GET=buffer|string (default buffer),
// BARE_CORK=tick|turn|off (default off; tick: the Redis socket corked from a tick's first command until its microtasks ran; turn: until the
// event loop's turn ends, as the API does with REDIS_COMMAND_BATCHING=event-loop-turn).
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { bareCas, withBareCas } from '../lib/bare-cas.js';

const TTL_MS = 86_400_000;
const port = Number(process.env.PORT);
const redis = withBareCas(new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: process.env.BARE_AUTO_PIPELINING === 'on' }));
const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });

/**
 * With BARE_CORK=tick or turn, the commands sent until the tick's microtasks (or the loop turn's callbacks) have run
 * leave in one socket write, as in libs/workflow-store/src/redis/tick-cork.ts. Read once: env lookups are not free.
 */
const CORK = process.env.BARE_CORK;
let corked = false;
const uncork = (): void => {
  corked = false;
  redis.stream.uncork();
};
const corkThisTick: () => void =
  CORK === 'tick' || CORK === 'turn'
    ? () => {
        if (corked) return;
        corked = true;
        redis.stream.cork();
        if (CORK === 'turn') setImmediate(uncork);
        else queueMicrotask(uncork);
      }
    : () => undefined;

app.get('/health', async () => ({ ok: true }));

/** The stored JSON sent as it is; as bytes by default (getBuffer: no UTF-8 decode and re-encode of the document). */
const get: (key: string) => Promise<Buffer | string | null> = process.env.BARE_GET === 'string' ? (key) => redis.get(key) : (key) => redis.getBuffer(key);
const read = (key: string): Promise<Buffer | string | null> => {
  corkThisTick();
  return get(key);
};

// Neither handler returns the reply: a returned reply is a thenable, which Fastify waits on with an end-of-stream
// listener on every response (measured: a few % of a 1 KB GET).
if (process.env.BARE_HANDLER === 'sync') {
  app.get<{ Params: { id: string } }>('/docs/:id', (request, reply): void => {
    read(`raw:h:${request.params.id}`).then(
      (json) => {
        if (json === null) void reply.code(404).send({ error: 'not found' });
        else void reply.type('application/json').send(json);
      },
      (error: unknown) => reply.send(error),
    );
  });
} else {
  app.get<{ Params: { id: string } }>('/docs/:id', async (request, reply) => {
    const json = await read(`raw:h:${request.params.id}`);
    if (json === null) return reply.code(404).send({ error: 'not found' });
    void reply.type('application/json');
    return json;
  });
}

/** If-Match: "<version>" → CAS of JSON.stringify(body.state); answers the new version and the state as stored. */
app.put<{ Params: { id: string }; Body: { state: unknown } }>('/docs/:id', async (request, reply) => {
  const { id } = request.params;
  const ifMatch = /^"(\d+)"$/.exec(request.headers['if-match'] ?? '');
  if (!ifMatch) return reply.code(428).send({ error: 'If-Match required' });
  const json = JSON.stringify(request.body.state);
  let version: number;
  try {
    corkThisTick();
    version = await bareCas(redis, `raw:hp:${id}`, Number(ifMatch[1]), json, TTL_MS);
  } catch {
    return reply.code(412).send({ error: 'precondition failed' });
  }
  const requestId = request.headers['x-request-id'];
  if (typeof requestId === 'string') reply.header('x-request-id', requestId);
  void reply.header('etag', `"${version}"`).type('application/json');
  return `{"id":${JSON.stringify(id)},"version":${version},"state":${json}}`;
});

const stop = (): void => {
  void app.close().then(() => {
    redis.disconnect();
    process.exit(0);
  });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

await app.listen({ port, host: '127.0.0.1' });
