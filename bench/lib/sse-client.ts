import { request, type ClientRequest } from 'node:http';
import { nowMs } from './clock.js';
import { SseParser, type SseFrame } from './sse-parser.js';

/** A frame and when its chunk was read from the socket (nowMs()). */
export type FrameListener = (frame: SseFrame, arrivedAt: number) => void;

/**
 * One open text/event-stream response, read with node:http on its own TCP connection (no agent, no pooling). Every
 * frame of a chunk gets the time the chunk's `data` callback started, before any parsing.
 */
export class SseClient {
  /** Set when the stream broke or ended before `close()`: the client may have missed events after that. */
  failure: string | undefined;
  private closing = false;

  private constructor(
    private readonly req: ClientRequest,
    readonly parser: SseParser,
  ) {}

  /** Opens `url` (GET, Accept: text/event-stream); resolves once a 200 text/event-stream response has begun. */
  static open(url: string, onFrame: FrameListener, timeoutMs = 10_000): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      let arrivedAt = 0;
      const parser = new SseParser((frame) => onFrame(frame, arrivedAt));
      const req = request(url, { method: 'GET', agent: false, headers: { accept: 'text/event-stream' } });
      const client = new SseClient(req, parser);
      const timer = setTimeout(() => req.destroy(new Error(`no response from ${url} within ${timeoutMs} ms`)), timeoutMs);
      req.once('error', (error) => {
        clearTimeout(timer);
        if (!client.closing) client.failure ??= error.message;
        reject(error);
      });
      req.once('response', (res) => {
        clearTimeout(timer);
        const type = String(res.headers['content-type'] ?? '');
        if (res.statusCode !== 200 || !type.startsWith('text/event-stream')) {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d));
          res.once('end', () => reject(new Error(`${url} answered ${res.statusCode} ${type}: ${body.slice(0, 300)}`)));
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          arrivedAt = nowMs();
          parser.push(chunk);
        });
        res.once('end', () => {
          if (!client.closing) client.failure ??= 'the server ended the stream';
        });
        res.once('error', (error) => {
          if (!client.closing) client.failure ??= error.message;
        });
        resolve(client);
      });
      req.end();
    });
  }

  close(): void {
    this.closing = true;
    this.req.destroy();
  }
}
