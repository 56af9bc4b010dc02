// Makes sure the tests can start their own redis-server processes: installs Debian's redis-server when missing
// (and openssl) as root, or says exactly what to install. Tests never use a shared Redis; they only need the binaries.
import { execFileSync, spawnSync } from 'node:child_process';

const PACKAGES = ['redis-server', 'redis-tools', 'redis-sentinel', 'openssl'];
const BINARIES = ['redis-server', 'redis-cli', 'redis-sentinel', 'openssl']; // openssl: the TLS test makes its certificates

function version() {
  const run = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (run.error || run.status !== 0) return undefined;
  return /v=(\d+)\.(\d+)/.exec(run.stdout)?.slice(1).map(Number);
}

function missingBinaries() {
  return BINARIES.filter((bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0);
}

if (missingBinaries().length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
  if (!isRoot || !hasApt) {
    console.error(`Missing ${missingBinaries().join(', ')}. Install Redis 7 first, e.g.: sudo apt-get install -y ${PACKAGES.join(' ')}`);
    process.exit(1);
  }
  console.log(`Installing ${PACKAGES.join(' ')} from Debian's packages...`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...PACKAGES], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  // Debian starts a system redis on 6379 after install; the tests never use it, so stop it to keep CI quiet.
  spawnSync('sh', ['-c', 'service redis-server stop >/dev/null 2>&1 || true']);
}

const found = version();
if (!found || found[0] < 7) {
  console.error(`redis-server 7.0 or newer is required (found ${found ? found.join('.') : 'none'}).`);
  process.exit(1);
}
console.log(`redis-server ${found.join('.')} found.`);
