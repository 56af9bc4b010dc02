import { randomBytes } from 'node:crypto';

let counter = 0;

/**
 * A key prefix (or id namespace) of its own per store or test run, so tests never see each other's data.
 * Charset [A-Za-z0-9], at most 32 characters (REDIS_KEY_PREFIX allows 1–32 of [A-Za-z0-9_.-]).
 */
export function randomPrefix(): string {
  return `t${Date.now().toString(36)}${randomBytes(5).toString('hex')}`.slice(0, 32);
}

/**
 * A workflow id nobody else uses: `label-<random>`, charset [A-Za-z0-9_.-], at most 64 characters (the id limit).
 * `label` should itself be safe (it is not escaped), e.g. `create` or `ttl.gone`.
 */
export function randomId(label = 'wf'): string {
  counter = (counter + 1) % 1_000_000;
  return `${label}-${randomBytes(6).toString('hex')}${counter.toString(36)}`.slice(0, 64);
}
