import { createServer } from 'node:net';

/** Asks the OS for a port nothing listens on: listen on port 0 of 127.0.0.1, read the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close((error) => {
        if (error) reject(error);
        else if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error(`no TCP port from ${String(address)}`));
      });
    });
  });
}

/**
 * A port nothing listens on, for "Redis unreachable" cases: a port from freePort() can be taken by another process
 * between the check and the connection (seen: an HTTP server answered). Port 1 (tcpmux) is never served here.
 */
export const CLOSED_PORT = 1;
