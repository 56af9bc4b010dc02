import { luaScripts } from './lua/scripts.generated.js';
import type { StoreRedisClient } from './redis-client.types.js';

export type ScriptName = keyof typeof luaScripts;

/** Script commands are defined under a versioned name, so two library versions sharing a server cannot collide. */
const SCRIPT_VERSION = 'v2';

export function commandName(name: ScriptName): string {
  return `wfs_${name}_${SCRIPT_VERSION}`;
}

/**
 * Defines every script once per client. ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT, so a Redis
 * restart that empties the script cache needs nothing from us.
 */
export function defineScripts(client: StoreRedisClient): void {
  for (const [name, script] of Object.entries(luaScripts)) {
    client.defineCommand(commandName(name as ScriptName), { numberOfKeys: script.numberOfKeys, lua: script.lua });
  }
}

/** Runs a defined script by name with its keys then its arguments; with `bytes`, bulk replies come as Buffers. */
export function runScript(client: StoreRedisClient, name: ScriptName, keys: string[], args: (string | number | Buffer)[], bytes = false): Promise<unknown[]> {
  // defineCommand adds methods at run time (and a "…Buffer" twin); ioredis types cannot know them, hence the cast.
  const commands = client as unknown as Record<string, (...a: (string | number | Buffer)[]) => Promise<unknown>>;
  const command = commands[bytes ? `${commandName(name)}Buffer` : commandName(name)];
  if (!command) throw new Error(`script ${name} is not defined on this client`);
  return command.call(client, ...keys, ...args) as Promise<unknown[]>;
}
