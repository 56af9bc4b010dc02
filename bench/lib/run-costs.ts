import type { Redis } from 'ioredis';

/** Calls and server time (µs) of one command, from INFO commandstats. */
export interface CommandTime {
  calls: number;
  usec: number;
}

interface Snapshot {
  commands: Map<string, CommandTime>;
  /** CPU µs of Redis' main thread (user + system), from INFO cpu. */
  redisCpuUsec: number;
  /** CPU µs of this process (the bench and the store's client code). */
  clientCpuUsec: number;
}

/** INFO commandstats (`cmdstat_<name>`, names in lower case: `evalsha`, `zrangebylex`), Redis' and our CPU time. */
async function snapshot(client: Redis): Promise<Snapshot> {
  const info = String(await client.call('INFO', 'commandstats', 'cpu'));
  const commands = new Map<string, CommandTime>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    commands.set(match[1] as string, { calls: Number(match[2]), usec: Number(match[3]) });
  }
  const seconds = (field: string): number => Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  const own = process.cpuUsage();
  return {
    commands,
    redisCpuUsec: (seconds('used_cpu_user_main_thread') + seconds('used_cpu_sys_main_thread')) * 1e6,
    clientCpuUsec: own.user + own.system,
  };
}

/**
 * What the wrapped runs cost, added up over all of them: the delta of INFO commandstats (calls, µs inside each
 * command), of Redis' main-thread CPU time and of this process's CPU time around each run (no CONFIG RESETSTAT, so
 * nothing else's figures are touched). Only meaningful while nothing else talks to this server or runs in this
 * process: the scenarios run one at a time, and their stores run no periodic sweep.
 *
 * commandstats' µs are wall-clock time inside a command: on a loaded machine they also count the time Redis was
 * descheduled in the middle of one. CPU times do not, but Redis' covers everything it did in the window (reading
 * and parsing commands, writing replies, its cron), not only the commands.
 */
export class RunCosts {
  private readonly commandTotals = new Map<string, CommandTime>();
  private redisCpuUsec = 0;
  private clientCpuUsec = 0;

  constructor(
    private readonly client: Redis,
    private readonly commands: readonly string[],
  ) {}

  async around<T>(run: () => Promise<T>): Promise<T> {
    const before = await snapshot(this.client);
    const result = await run();
    const after = await snapshot(this.client);
    for (const name of this.commands) {
      const a = after.commands.get(name) ?? { calls: 0, usec: 0 };
      const b = before.commands.get(name) ?? { calls: 0, usec: 0 };
      const total = this.commandTotals.get(name) ?? { calls: 0, usec: 0 };
      this.commandTotals.set(name, { calls: total.calls + a.calls - b.calls, usec: total.usec + a.usec - b.usec });
    }
    this.redisCpuUsec += after.redisCpuUsec - before.redisCpuUsec;
    this.clientCpuUsec += after.clientCpuUsec - before.clientCpuUsec;
    return result;
  }

  calls(command: string): number {
    return this.commandTotals.get(command)?.calls ?? 0;
  }

  usec(command: string): number {
    return this.commandTotals.get(command)?.usec ?? 0;
  }

  /** Server µs per call of `command` over every wrapped run (commandstats usec_per_call). */
  usecPerCall(command: string): number {
    const total = this.commandTotals.get(command);
    return total && total.calls > 0 ? total.usec / total.calls : NaN;
  }

  /** Redis main-thread CPU µs over every wrapped run ÷ `per` (e.g. the calls of a command, or pages). */
  redisCpuPer(per: number): number {
    return per > 0 ? this.redisCpuUsec / per : NaN;
  }

  /** This process's CPU µs over every wrapped run ÷ `per`. */
  clientCpuPer(per: number): number {
    return per > 0 ? this.clientCpuUsec / per : NaN;
  }
}
