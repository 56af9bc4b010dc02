/**
 * Stops what global-setup.mjs started: Chromium, the API replicas (SIGTERM, SIGKILL after 15 s), the redis-server,
 * and removes their directory. Idempotent.
 */
import { rmSync } from 'node:fs';

const STOP_GRACE_MS = 15_000;

async function stop(record, signal) {
  const { child } = record;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const grace = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await record.exited;
  clearTimeout(grace);
}

export default async function globalTeardown() {
  const services = globalThis.__boardServices;
  if (!services) return;
  globalThis.__boardServices = undefined;
  await services.browserServer?.close();
  const [redis, ...apis] = services.records;
  await Promise.all(apis.map((record) => stop(record, 'SIGTERM')));
  if (redis) await stop(redis, 'SIGKILL');
  rmSync(services.dir, { recursive: true, force: true });
}
