import { Agent, request } from 'node:http';

/** Keep-alive connections for a paced writer: up to `sockets` requests in flight, the rest queue in the agent. */
export const writerAgent = (sockets: number): Agent => new Agent({ keepAlive: true, maxSockets: sockets });

/**
 * PUT `body` (JSON) to `url` and resolve with the version the answer's ETag names (undefined for any answer but
 * 200/201 with an ETag); rejects only when no answer came (connection error).
 */
export function httpPut(agent: Agent, url: string, body: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.once('end', () => {
        const etag = /^"(\d+)"$/.exec(String(res.headers.etag ?? ''));
        resolve((res.statusCode === 200 || res.statusCode === 201) && etag ? Number(etag[1]) : undefined);
      });
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}
