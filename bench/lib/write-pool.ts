/**
 * Workflows a paced writer updates, one write in flight per workflow, so the version each write will produce is
 * known when it is sent (the current one + 1) and an event can be matched to its write by id and version even when
 * the event arrives before the write's answer. A failed write takes its workflow out (its version is unknown).
 */
export class WritePool {
  private readonly versions = new Map<string, number>();
  private readonly idle: string[] = [];
  /** Writes not sent because every workflow had one in flight. */
  starved = 0;

  constructor(current: ReadonlyMap<string, number>) {
    for (const [id, version] of current) {
      this.versions.set(id, version);
      this.idle.push(id);
    }
  }

  /** An idle workflow and the version the next write to it produces; undefined when all are busy. */
  take(): { id: string; version: number } | undefined {
    const id = this.idle.shift();
    if (id === undefined) {
      this.starved++;
      return undefined;
    }
    return { id, version: (this.versions.get(id) as number) + 1 };
  }

  /** The write to `id` ended: at `version` when it succeeded (the workflow is idle again), undefined when it failed. */
  done(id: string, version: number | undefined): void {
    if (version === undefined) {
      this.versions.delete(id);
      return;
    }
    this.versions.set(id, version);
    this.idle.push(id);
  }
}

/** The key of a write and of its event: `<id>|<version>`. */
export const writeKey = (id: string, version: number): string => `${id}|${version}`;
