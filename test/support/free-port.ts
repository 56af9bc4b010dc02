import { createServer, type Server } from 'node:net';

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
 * `count` distinct ports nothing listens on: all are held open together before any is closed, so (unlike `count`
 * calls of freePort() made before anything binds them) no two are the same. For starting many servers at once.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      server.unref();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            if (address !== null && typeof address === 'object') resolve(address.port);
            else reject(new Error(`no TCP port from ${String(address)}`));
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))));
  }
}

/**
 * A port nothing listens on, for "Redis unreachable" cases: a port from freePort() can be taken by another process
 * between the check and the connection (seen: an HTTP server answered). Port 1 (tcpmux) is never served here.
 */
export const CLOSED_PORT = 1;
