import { Redis } from 'ioredis';
import { applyMergePatch, type JsonObject } from '#workflow-store';

/**
 * The optimistic update the seeds' users write by hand: `WATCH key`, `GET`, check the version and merge the patch in
 * JS, `MULTI` / `SET … PX` / `EXEC`, again from the WATCH when EXEC answers null (someone wrote in between). The
 * document carries its version (`v`), so a stale expected version is refused as the store refuses it.
 *
 * WATCH belongs to a connection: two transactions on one connection would watch each other's keys, so every update
 * holds a connection of its own from WATCH to EXEC. The pool hands them out; callers beyond its size wait.
 */
export class WatchPool {
  private readonly free: Redis[];
  private readonly waiting: ((client: Redis) => void)[] = [];

  private constructor(readonly connections: Redis[]) {
    this.free = [...connections];
  }

  static async open(url: string, size: number): Promise<WatchPool> {
    const connections = Array.from({ length: size }, () => new Redis(url, { enableAutoPipelining: false }));
    await Promise.all(connections.map((c) => c.ping()));
    return new WatchPool(connections);
  }

  /** Seeds `key` with a document at version 1. */
  async seed(key: string, state: JsonObject, ttlMs: number): Promise<void> {
    await (this.connections[0] as Redis).set(key, JSON.stringify({ ...state, v: 1 }), 'PX', ttlMs);
  }

  /** One update at `expectedVersion`; returns the new version. Throws when the version is not the expected one. */
  async update(key: string, patch: JsonObject, expectedVersion: number, ttlMs: number): Promise<number> {
    const client = await this.acquire();
    try {
      for (;;) {
        await client.watch(key);
        const text = await client.get(key);
        const doc = text === null ? null : (JSON.parse(text) as JsonObject);
        if (doc === null || doc.v !== expectedVersion) {
          await client.unwatch();
          throw new Error(`WATCH update of ${key}: expected version ${expectedVersion}, found ${String(doc?.v)}`);
        }
        const next = applyMergePatch(doc, patch) as JsonObject;
        next.v = expectedVersion + 1;
        const result = await client.multi().set(key, JSON.stringify(next), 'PX', ttlMs).exec();
        if (result !== null) return expectedVersion + 1;
      }
    } finally {
      this.release(client);
    }
  }

  close(): void {
    for (const client of this.connections) client.disconnect();
  }

  private acquire(): Promise<Redis> {
    const client = this.free.pop();
    if (client) return Promise.resolve(client);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(client: Redis): void {
    const next = this.waiting.shift();
    if (next) next(client);
    else this.free.push(client);
  }
}
