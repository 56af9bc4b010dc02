// The clients of the fan-out figure, in a process of their own so that reading their streams does not delay the
// bench's paced writer. Opens `clients` SSE streams (node:http, one connection each), logs every event each one
// reads, learns from the bench (IPC) when each write was sent and answered, tells it when every client has caught
// up (`settle`), and at `finish` sends the joined result.
import { DeliveryLog } from '../lib/delivery-log.js';
import { logFeedFrames, newTally } from '../lib/feed-frames.js';
import { SseClient } from '../lib/sse-client.js';
import type { FanoutClientsInput, FromClients, ToClients } from './fanout-protocol.js';

/** Streams opened at once (so the server's accept backlog never overflows). */
const CONNECT_BATCH = 50;

const send = (message: FromClients): void => void process.send?.(message);

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as FanoutClientsInput;
  const log = new DeliveryLog(input.capacity, input.clients);
  const tally = newTally();
  const clients: SseClient[] = [];
  process.on('message', (message: ToClients) => {
    if (message.kind === 'sent') log.sent(message.key, message.measured, message.at);
    else if (message.kind === 'answered') log.answered(message.key, message.ok, message.at);
    else if (message.kind === 'settle') void log.drain(message.drainMs, true).then((outstanding) => send({ kind: 'settled', outstanding }));
    else void finish(message.drainMs);
  });
  const finish = async (drainMs: number): Promise<void> => {
    await log.drain(drainMs);
    const latency = log.latency('sent', input.seconds);
    send({
      kind: 'result',
      result: {
        latency,
        clientsMissing: log.clientsMissing(),
        writes: log.writes(),
        duplicates: log.duplicates,
        overflow: log.overflow,
        tally,
        broken: clients.filter((c) => c.failure !== undefined).length,
        comments: clients.reduce((sum, c) => sum + c.parser.comments, 0),
      },
    });
    for (const client of clients) client.close();
    process.disconnect?.();
  };
  for (let c = 0; c < input.clients; c += CONNECT_BATCH) {
    const batch = Array.from({ length: Math.min(CONNECT_BATCH, input.clients - c) }, (_, k) => SseClient.open(input.url, logFeedFrames(log, c + k, tally)));
    clients.push(...(await Promise.all(batch)));
  }
  send({ kind: 'ready' });
}

main().catch((error: unknown) => {
  send({ kind: 'error', message: (error as Error).stack ?? String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
