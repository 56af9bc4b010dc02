import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from './free-port.js';

/** What the bench says about the server it measured against (PostgreSQL's own durability defaults, kept on purpose). */
export const POSTGRES_BENCH_SETTINGS =
  'private postgres, initdb defaults, -c fsync=on -c synchronous_commit=on (PostgreSQL\'s durable defaults: every commit waits for its WAL flush)';

/** The OS user postgres runs as when the bench runs as root (it refuses to run as root); Debian's package creates it. */
const POSTGRES_USER = 'postgres';
/** The database role initdb creates (trust authentication on the private server). */
const ROLE = 'bench';

/** `/usr/lib/postgresql/<newest version>/bin` holding initdb and postgres, or POSTGRES_BIN_DIR; undefined when none. */
function findBinDir(): string | undefined {
  const candidates = process.env.POSTGRES_BIN_DIR ? [process.env.POSTGRES_BIN_DIR] : [];
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  }
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')));
}

/** The bin dir, after running scripts/ensure-postgres.mjs (installs Debian's postgresql as root) when none is found. */
function binDir(): string {
  const found = findBinDir();
  if (found) return found;
  const script = fileURLToPath(new URL('../../../scripts/ensure-postgres.mjs', import.meta.url));
  const run = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  const after = findBinDir();
  if (run.status !== 0 || !after) throw new Error('PostgreSQL not found (initdb and postgres in /usr/lib/postgresql/<version>/bin): see scripts/ensure-postgres.mjs');
  return after;
}

/** uid and gid to run postgres as: ours unless we are root, then the `postgres` system user's. */
function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${POSTGRES_USER}:`));
  const fields = line?.split(':');
  if (!fields || fields.length < 4) throw new Error(`running as root and there is no ${POSTGRES_USER} user to run postgres as (install Debian's postgresql)`);
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/**
 * A private PostgreSQL for the bench: `initdb` of a temp data dir, `postgres` on a free port on 127.0.0.1 (its Unix
 * socket in the temp dir), spawned directly (no shell) as the `postgres` user when we are root, ended by pid
 * (SIGINT, PostgreSQL's fast shutdown, then SIGKILL). `stop()` is idempotent; a kill also runs at process exit.
 */
export class PostgresProcess {
  private constructor(
    readonly port: number,
    readonly binDir: string,
    private readonly dir: string,
    private readonly child: ChildProcess,
    private readonly log: () => string,
  ) {}

  static async start(): Promise<PostgresProcess> {
    const bin = binDir();
    const user = runAs();
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'wfs-bench-pg-'));
    const data = join(dir, 'data');
    const socket = join(dir, 'socket');
    mkdirSync(socket);
    if (user) for (const path of [dir, socket]) chownSync(path, user.uid, user.gid);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC' };
    const options = { env, cwd: dir, ...(user ?? {}) };
    // --no-sync: initdb itself does not fsync the new files (the server's fsync setting is not affected).
    const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', ROLE, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { ...options, encoding: 'utf8' });
    if (init.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`initdb failed (${init.status ?? init.signal ?? init.error?.message}): ${init.stderr}`);
    }
    const args = ['-D', data, '-p', String(port), '-k', socket, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=on', '-c', 'synchronous_commit=on'];
    const child = spawn(join(bin, 'postgres'), args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const server = new PostgresProcess(port, bin, dir, child, () => stderr);
    process.once('exit', () => server.kill());
    await server.waitForQuery();
    return server;
  }

  get url(): string {
    return `postgresql://${ROLE}@127.0.0.1:${this.port}/postgres`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The server's version ("15.18") and the durability settings it runs with. */
  async describe(): Promise<{ version: string; settings: string }> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      const names = ['server_version', 'fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'shared_buffers'];
      const result = await client.query<{ name: string; setting: string }>('SELECT name, current_setting(name) AS setting FROM unnest($1::text[]) AS name', [names]);
      const byName = new Map(result.rows.map((r) => [r.name, r.setting]));
      const version = /^\d+(\.\d+)?/.exec(byName.get('server_version') ?? '')?.[0] ?? 'unknown';
      byName.delete('server_version');
      return { version, settings: [...byName].map(([k, v]) => `${k}=${v}`).join(' ') };
    } finally {
      await client.end();
    }
  }

  /** Fast shutdown (SIGINT), SIGKILL after `graceMs`; removes the temp dir. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.running()) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGINT');
      const timer = setTimeout(() => this.kill(), graceMs);
      await exited;
      clearTimeout(timer);
    }
    this.kill();
  }

  /** SIGKILL by pid if still running, and the temp dir goes (synchronous: also used at process exit). */
  kill(): void {
    if (this.running()) {
      try {
        this.child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    // Its backends see the postmaster die and exit on their own; the files can go now.
    rmSync(this.dir, { recursive: true, force: true });
  }

  private running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private async waitForQuery(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (!this.running()) throw new Error(`postgres exited with ${this.child.exitCode ?? this.child.signalCode}: ${this.log()}`);
      const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch {
        if (Date.now() > deadline) {
          this.kill();
          throw new Error(`postgres on ${this.port} did not answer within 30 s: ${this.log()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }
}
