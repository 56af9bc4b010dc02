import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ; 100 on Linux x86 and arm). */
const TICKS_PER_SECOND = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, all threads, ms; 10 ms resolution) and resident memory (bytes) of a process, now. */
export interface ProcSample {
  at: number;
  cpuMs: number;
  rssBytes: number;
}

/** Reads /proc/<pid>/stat (utime, stime: fields 14 and 15) and /proc/<pid>/status (VmRSS). Linux only. */
export function procSample(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return { at: performance.now(), cpuMs: (ticks * 1000) / TICKS_PER_SECOND, rssBytes: rssKb * 1024 };
}

/** CPU used between two samples as a share of one core (1 = one core busy the whole time). */
export const coresBusy = (from: ProcSample, to: ProcSample): number => (to.cpuMs - from.cpuMs) / (to.at - from.at);

/** Samples a process every `everyMs` until stopped: the first and last sample, and the highest RSS seen. */
export class ProcWatch {
  readonly first: ProcSample;
  last: ProcSample;
  peakRssBytes: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 250,
  ) {
    this.first = procSample(pid);
    this.last = this.first;
    this.peakRssBytes = this.first.rssBytes;
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  stop(): { cores: number; peakRssBytes: number; first: ProcSample; last: ProcSample } {
    clearInterval(this.timer);
    this.sample();
    return { cores: coresBusy(this.first, this.last), peakRssBytes: this.peakRssBytes, first: this.first, last: this.last };
  }

  private sample(): void {
    this.last = procSample(this.pid);
    this.peakRssBytes = Math.max(this.peakRssBytes, this.last.rssBytes);
  }
}
