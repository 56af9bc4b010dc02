import { Redis } from 'ioredis';

/** A bare one-round-trip baseline: SET of a small value per worker key, on a client set up like the store's. */
export function bareSet(url: string): { set(worker: number): Promise<unknown>; close(): void } {
  const client = new Redis(url, { enableAutoPipelining: false });
  return {
    set: (worker) => client.set(`bench:bare:${worker}`, '0123456789abcdef'),
    close: () => client.disconnect(),
  };
}
