/**
 * Where the CLI writes for people. Data (an export to `-`) owns stdout, so messages go to stderr, except the final
 * summary, which goes to stdout unless stdout carries data.
 */
export class CliOutput {
  constructor(private readonly stdoutCarriesData = false) {}

  /** A progress line, warning or failure: always stderr. */
  message(line: string): void {
    process.stderr.write(`${line}\n`);
  }

  summary(line: string): void {
    (this.stdoutCarriesData ? process.stderr : process.stdout).write(`${line}\n`);
  }
}

/** `12.3 s, 812 per second, peak memory 71 MiB`: the cost of a run, for the summary line. */
export function costOf(startedAt: number, items: number): string {
  const seconds = (performance.now() - startedAt) / 1000;
  const rate = seconds > 0 ? Math.round(items / seconds) : items;
  const peakMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  return `${seconds.toFixed(1)} s, ${rate} per second, peak memory ${peakMiB} MiB`;
}
