import type { Redis } from 'ioredis';

/** Commands whose commandstats µs already include every command their script ran (checked by checkScriptAccounting). */
export const SCRIPT_COMMANDS: ReadonlySet<string> = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

/** Calls and µs of one command name, from INFO commandstats. */
export interface CommandStat {
  calls: number;
  usec: number;
}

/** INFO commandstats of one server, and its main thread's CPU time (µs, user + system, from INFO cpu). */
export interface ServerSample {
  commands: Map<string, CommandStat>;
  cpuUsec: number;
}

export async function serverSample(client: Redis): Promise<ServerSample> {
  const info = String(await client.call('INFO', 'commandstats', 'cpu'));
  const commands = new Map<string, CommandStat>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) commands.set(m[1] as string, { calls: Number(m[2]), usec: Number(m[3]) });
  const seconds = (field: string): number => Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return { commands, cpuUsec: (seconds('used_cpu_user_main_thread') + seconds('used_cpu_sys_main_thread')) * 1e6 };
}

/** Commands a script runs per operation, by name (MONITOR's `[0 lua]` lines; see checkpoint-round-trips.ts). */
export type NestedPerOp = Record<string, number>;

/** Server time of the operations between two samples, counted once. */
export interface ServerTime {
  /** µs inside commands clients sent (a script's µs include what it ran; those nested commands are not added again). */
  commandUsec: number;
  /** Redis main-thread CPU µs: the commands plus reading requests, writing replies, its cron. */
  cpuUsec: number;
  /** Client-sent calls and their µs by command name (script-run calls taken out). */
  byCommand: Record<string, CommandStat>;
}

/**
 * The delta of two samples with every command a script ran taken out: Redis 7.0 counts those in their own cmdstat
 * lines AND in the script's EVALSHA µs (checkScriptAccounting), so adding every line would count them twice. A name
 * that clients send and scripts run too (GET, TIME) keeps its client-sent share of µs, split by calls: `ops` ×
 * `nested[name]` of its calls were run by scripts.
 */
export function serverTime(before: ServerSample, after: ServerSample, ops: number, nested: NestedPerOp = {}, ignore: readonly string[] = ['info', 'monitor']): ServerTime {
  const byCommand: Record<string, CommandStat> = {};
  let commandUsec = 0;
  for (const [name, a] of after.commands) {
    if (ignore.includes(name)) continue;
    const b = before.commands.get(name) ?? { calls: 0, usec: 0 };
    const calls = a.calls - b.calls;
    if (calls <= 0) continue;
    const usec = a.usec - b.usec;
    const fromScripts = SCRIPT_COMMANDS.has(name) ? 0 : Math.min(calls, ops * (nested[name] ?? 0));
    const own = calls - fromScripts;
    if (own <= 0) continue;
    const share = (usec * own) / calls;
    byCommand[name] = { calls: own, usec: share };
    commandUsec += share;
  }
  return { commandUsec, cpuUsec: after.cpuUsec - before.cpuUsec, byCommand };
}

/**
 * Checks on this server what serverTime assumes: a script's calls are counted in their own cmdstat line and its
 * EVAL's µs include them. A script runs 20 000 SETs of a scratch key; EVAL must then have 1 call, SET 20 000, and
 * EVAL's µs must be at least SET's. Throws otherwise (a Redis that counts differently would make the figures wrong).
 */
export async function checkScriptAccounting(client: Redis, scratchKey: string): Promise<string> {
  const before = await serverSample(client);
  await client.eval("for i = 1, 20000 do redis.call('SET', KEYS[1], i) end return 1", 1, scratchKey);
  const after = await serverSample(client);
  await client.del(scratchKey);
  const delta = (name: string): CommandStat => {
    const a = after.commands.get(name) ?? { calls: 0, usec: 0 };
    const b = before.commands.get(name) ?? { calls: 0, usec: 0 };
    return { calls: a.calls - b.calls, usec: a.usec - b.usec };
  };
  const evalStat = delta('eval');
  const setStat = delta('set');
  if (evalStat.calls !== 1 || setStat.calls !== 20_000 || evalStat.usec < setStat.usec) {
    throw new Error(`commandstats do not count scripts as assumed: eval ${JSON.stringify(evalStat)}, set ${JSON.stringify(setStat)}`);
  }
  return `a script of 20 000 SETs: cmdstat_eval 1 call, ${evalStat.usec} µs; cmdstat_set 20 000 calls, ${setStat.usec} µs (inside the EVAL's)`;
}
