import { afterAll, beforeAll } from '@jest/globals';
import { RedisServer } from './redis-server.js';

/** The redis-server of one spec file, once its beforeAll has started it. */
export interface FileRedisServer {
  readonly server: RedisServer;
  readonly url: string;
}

/**
 * A private redis-server for the spec file that calls this at its top level: it adds the beforeAll that starts the
 * server and the afterAll that stops it. Read `server` or `url` only in hooks and tests (after the start).
 */
export function fileRedisServer(): FileRedisServer {
  let started: RedisServer | undefined;
  beforeAll(async () => {
    started = await RedisServer.start();
  });
  afterAll(async () => {
    await started?.stop();
  });
  return {
    get server(): RedisServer {
      if (!started) throw new Error("the file's redis-server has not started (read it in a hook or a test)");
      return started;
    },
    get url(): string {
      return this.server.url;
    },
  };
}
