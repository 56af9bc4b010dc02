import cliProgress from 'cli-progress';

/** Plain progress lines when stderr is not a terminal (logs, CI): at most one every this many ms. */
const PLAIN_LINE_INTERVAL_MS = 2000;

export interface Progress {
  update(done: number, total: number, detail: string): void;
  stop(): void;
}

/** A progress bar on a terminal, plain periodic lines otherwise; both on stderr. */
export function startProgress(label: string): Progress {
  return process.stderr.isTTY ? new BarProgress(label) : new LineProgress(label);
}

class BarProgress implements Progress {
  private readonly bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: '{label} [{bar}] {value}/{total} {detail}', hideCursor: true, etaBuffer: 1000 },
    cliProgress.Presets.shades_classic,
  );
  private started = false;

  constructor(private readonly label: string) {}

  update(done: number, total: number, detail: string): void {
    const payload = { label: this.label, detail };
    if (!this.started) {
      this.bar.start(Math.max(total, done), done, payload);
      this.started = true;
    }
    // Workflows may be created during an export, so the count from the start can be passed.
    if (done > this.bar.getTotal() || total > this.bar.getTotal()) this.bar.setTotal(Math.max(total, done));
    this.bar.update(done, payload);
  }

  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }
}

/** Periodic lines only: the summary that follows a run gives the final figures. */
class LineProgress implements Progress {
  private lastAt = performance.now();

  constructor(private readonly label: string) {}

  update(done: number, total: number, detail: string): void {
    if (performance.now() - this.lastAt < PLAIN_LINE_INTERVAL_MS) return;
    process.stderr.write(`${this.label}: ${done}/${Math.max(total, done)}${detail ? ` ${detail}` : ''}\n`);
    this.lastAt = performance.now();
  }

  stop(): void {
    // nothing pending: lines are written as they come
  }
}
