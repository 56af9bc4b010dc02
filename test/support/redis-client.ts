import type { Redis } from 'ioredis';

/**
 * Closes a test's own ioredis connection without leaving a timer behind. ioredis' disconnect() ends the socket and
 * arms a timer (disconnectTimeout, 2 s by default) that only the socket's 'close' event clears; on a socket that is
 * already closed (a refused connection: status 'end') that event never comes again, and the timer kept Jest from
 * exiting for 2 s after the last test (seen with the PING polls of RedisServer.start).
 */
export function dropClient(client: Redis): void {
  if (client.status === 'end') return; // no socket open and no reconnect pending: nothing to close
  client.disconnect();
}
