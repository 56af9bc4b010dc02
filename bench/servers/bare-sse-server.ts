// The bare baseline of the fan-out figure: node:http, one Redis SUBSCRIBE, and every message written as one SSE
// frame to every open GET /events response, nothing else (no feed reading, no filtering, no Nest, no metrics).
// A message is "<event id> <JSON>"; the frame is "id: <event id>\nevent: workflow\ndata: <JSON>\n\n", like the API's.
import { createServer, type ServerResponse } from 'node:http';
import { Redis } from 'ioredis';

const port = Number(process.env.PORT);
const channel = process.env.CHANNEL ?? 'bench:fanout';
const clients = new Set<ServerResponse>();
const subscriber = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

subscriber.on('message', (_channel: string, message: string) => {
  const space = message.indexOf(' ');
  const frame = `id: ${message.slice(0, space)}\nevent: workflow\ndata: ${message.slice(space + 1)}\n\n`;
  for (const res of clients) res.write(frame);
});
await subscriber.subscribe(channel);

const server = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    return;
  }
  if (req.url !== '/events') {
    res.writeHead(404).end();
    return;
  }
  req.socket.setNoDelay(true);
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.write('retry: 2000\n\n');
  clients.add(res);
  res.once('close', () => clients.delete(res));
});
server.keepAliveTimeout = 0;

const stop = (): void => {
  for (const res of clients) res.destroy();
  server.close(() => {
    subscriber.disconnect();
    process.exit(0);
  });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server.listen(port, '127.0.0.1');
