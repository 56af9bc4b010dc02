// Makes sure the checkpoint benchmark can start its own PostgreSQL (the PostgresSaver baseline): installs Debian's
// postgresql when missing, as root, without starting its system service, or says exactly what to install. The bench
// never uses a shared server; it only needs initdb and postgres (bench/lib/postgres-process.ts calls this script).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';

const PACKAGES = ['postgresql'];
const POLICY = '/usr/sbin/policy-rc.d';

/** Newest /usr/lib/postgresql/<version>/bin with initdb and postgres (or POSTGRES_BIN_DIR), as [dir, version]. */
function found() {
  const dirs = process.env.POSTGRES_BIN_DIR ? [process.env.POSTGRES_BIN_DIR] : [];
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  }
  const dir = dirs.find((d) => existsSync(`${d}/initdb`) && existsSync(`${d}/postgres`));
  if (!dir) return undefined;
  const run = spawnSync(`${dir}/postgres`, ['--version'], { encoding: 'utf8' });
  return [dir, /(\d+(?:\.\d+)?)/.exec(run.stdout ?? '')?.[1] ?? 'unknown'];
}

if (!found()) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
  if (!isRoot || !hasApt) {
    console.error(`PostgreSQL (initdb, postgres) not found. Install it first, e.g.: sudo apt-get install -y ${PACKAGES.join(' ')}`);
    console.error('or set POSTGRES_BIN_DIR to the directory holding initdb and postgres.');
    process.exit(1);
  }
  console.log(`Installing ${PACKAGES.join(' ')} from Debian's packages (its system service is not started)...`);
  // Debian's maintainer scripts start services through invoke-rc.d, which asks policy-rc.d first: 101 = not allowed.
  const ownPolicy = !existsSync(POLICY);
  if (ownPolicy) writeFileSync(POLICY, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...PACKAGES], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } finally {
    if (ownPolicy) rmSync(POLICY, { force: true });
  }
  // In case something started it anyway: the bench never uses the system cluster.
  spawnSync('sh', ['-c', 'service postgresql stop >/dev/null 2>&1 || true']);
}

const result = found();
if (!result) {
  console.error('PostgreSQL is still missing after the install (no /usr/lib/postgresql/<version>/bin/{initdb,postgres}).');
  process.exit(1);
}
console.log(`postgres ${result[1]} found in ${result[0]}.`);
