import type { Redis } from 'ioredis';

/** INFO memory used_memory, read after a pause that lets client buffers and incremental rehashing settle. */
export async function usedMemory(client: Redis, settleMs = 500): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  return Number(/^used_memory:(\d+)/m.exec(await client.info('memory'))?.[1]);
}
