// Makes sure the browser tests (test/e2e/docs-ui.e2e-spec.ts) find Debian's Chromium: installs it when missing, as
// root with apt-get, or says what to install. No npm package downloads a browser; playwright-core drives this one.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

if (!existsSync(CHROMIUM)) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
  if (!isRoot || !hasApt) {
    console.error(`Missing ${CHROMIUM}. Install Chromium first (Debian: sudo apt-get install -y chromium), or set CHROMIUM_PATH.`);
    process.exit(1);
  }
  console.log("Installing chromium from Debian's packages...");
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
console.log(`chromium found at ${CHROMIUM}.`);
