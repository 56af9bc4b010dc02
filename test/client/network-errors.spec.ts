/**
 * The client's failure paths that the real service cannot be made to produce on demand: no listener, a listener
 * that never answers, an answer that is not problem+json (a proxy's page), the caller's abort. Local stand-ins,
 * no timing assertions.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ProblemError, WorkflowClient, WorkflowClientNetworkError } from '../../libs/client/src/index.js';
import { CLOSED_PORT } from '../support/free-port.js';
import { RecordingFetch } from './support/recording-fetch.js';

const listen = async <T extends Server | TcpServer>(server: T): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
};

describe('WorkflowClient failure paths', () => {
  let silent: TcpServer;
  let silentUrl: string;
  const sockets = new Set<Socket>();
  let proxy: Server;
  let proxyUrl: string;

  beforeAll(async () => {
    // Accepts connections and never answers.
    silent = createTcpServer((socket) => sockets.add(socket));
    silentUrl = await listen(silent);
    // Answers every request like a proxy whose upstream is down.
    proxy = createServer((_request, response) => response.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>'));
    proxyUrl = await listen(proxy);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    await new Promise((resolve) => proxy.close(resolve));
  });

  it('retries a refused write with one Idempotency-Key, then throws WorkflowClientNetworkError', async () => {
    const recorder = new RecordingFetch();
    const client = new WorkflowClient({ baseUrl: `http://127.0.0.1:${CLOSED_PORT}`, fetch: recorder.fetch, retry: { attempts: 3, baseDelayMs: 1 } });
    const error = await client.patch('wf-1', { status: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowClientNetworkError);
    expect(error).toMatchObject({ attempts: 3, timedOut: false, method: 'PATCH' });
    expect(recorder.requests).toHaveLength(3);
    expect(new Set(recorder.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
  });

  it('never repeats a lease acquisition that got no answer (it takes no key)', async () => {
    const recorder = new RecordingFetch();
    const client = new WorkflowClient({ baseUrl: `http://127.0.0.1:${CLOSED_PORT}`, fetch: recorder.fetch, retry: { attempts: 3, baseDelayMs: 1 } });
    await expect(client.acquireLease('wf-1', { owner: 'w', ttlMs: 1000 })).rejects.toMatchObject({ name: 'WorkflowClientNetworkError', attempts: 1 });
    expect(recorder.requests).toHaveLength(1);
  });

  it('gives up on an attempt after timeoutMs, and says it timed out', async () => {
    const client = new WorkflowClient({ baseUrl: silentUrl, timeoutMs: 100, retry: { attempts: 2, baseDelayMs: 1 } });
    await expect(client.get('wf-1')).rejects.toMatchObject({ name: 'WorkflowClientNetworkError', attempts: 2, timedOut: true });
  });

  it('stops at once when the caller aborts, with the caller\'s reason', async () => {
    const client = new WorkflowClient({ baseUrl: silentUrl });
    const controller = new AbortController();
    const reading = client.get('wf-1', { signal: controller.signal });
    const reason = new Error('not needed any more');
    controller.abort(reason);
    await expect(reading).rejects.toBe(reason);
  });

  it('turns an answer that is not problem+json into a ProblemError, not retried', async () => {
    const recorder = new RecordingFetch();
    const client = new WorkflowClient({ baseUrl: proxyUrl, fetch: recorder.fetch });
    const error = await client.get('wf-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemError);
    expect(error).toMatchObject({ status: 502, code: 'http-502', type: 'about:blank', detail: '<h1>Bad Gateway</h1>' });
    expect(recorder.requests).toHaveLength(1);
  });
});
