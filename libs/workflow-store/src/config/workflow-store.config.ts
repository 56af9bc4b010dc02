import { z } from 'zod';
import { InvalidConfigError } from '../errors/invalid-config.error.js';
import { tlsOptionsFrom } from './tls-files.js';
import type { RedisTlsOptions, WorkflowStoreOptions } from './workflow-store.options.js';

const DAY = 86_400;

/** An integer env variable within bounds; the message states the bounds so a bad value is fixed at once. */
function intVar(min: number, max: number, unit: string) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number of ${unit} between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min} ${unit}`).max(max, `must be at most ${max} ${unit}`));
}

const boolVar = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * The environment the store reads, validated once at boot. Every variable is documented in the README with
 * its default and bounds; keep the two in step.
 */
export const workflowStoreEnvSchema = z
  .object({
    USE_REDIS: boolVar.default(false),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
      .default('redis://127.0.0.1:6379'),
    REDIS_USERNAME: z.string().min(1).optional(),
    REDIS_PASSWORD: z.string().min(1).optional(),
    REDIS_DB: intVar(0, 15, 'database index').optional(),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'must be 1-32 characters of A-Z a-z 0-9 _ . - (no braces or colons)')
      .default('wfs'),
    REDIS_CONNECT_TIMEOUT_MS: intVar(100, 60_000, 'ms').optional(),
    REDIS_COMMAND_TIMEOUT_MS: intVar(50, 60_000, 'ms').optional(),
    /** Alias used by hand-rolled set-ups, in seconds. */
    REDIS_SOCKET_CONNECT_TIMEOUT: intVar(1, 60, 'seconds').optional(),
    /** Alias used by hand-rolled set-ups, in seconds. */
    REDIS_SOCKET_TIMEOUT: intVar(1, 60, 'seconds').optional(),
    REDIS_PERSISTENCE_CHECK: z.enum(['warn', 'strict', 'off'], { message: 'must be warn, strict or off' }).default('warn'),
    REDIS_PURGE_INTERVAL_MS: intVar(0, 3_600_000, 'ms').default(60_000),
    WORKFLOW_STATE_TTL: intVar(1, 365 * DAY, 'seconds').default(DAY),
    WORKFLOW_MAX_TTL: intVar(1, 365 * DAY, 'seconds').default(30 * DAY),
    WORKFLOW_MAX_STATE_BYTES: intVar(2, 16 * 1024 * 1024, 'bytes').default(1024 * 1024),
    MEMORY_SNAPSHOT_PATH: z.string().min(1).optional(),
    REDIS_TLS_CA_FILE: z.string().min(1).optional(),
    REDIS_TLS_CERT_FILE: z.string().min(1).optional(),
    REDIS_TLS_KEY_FILE: z.string().min(1).optional(),
    REDIS_TLS_SERVERNAME: z.string().min(1).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.WORKFLOW_STATE_TTL > env.WORKFLOW_MAX_TTL) {
      ctx.addIssue({
        code: 'custom',
        path: ['WORKFLOW_STATE_TTL'],
        message: `must not exceed WORKFLOW_MAX_TTL (${env.WORKFLOW_MAX_TTL})`,
      });
    }
    const aliasPairs = [
      ['REDIS_CONNECT_TIMEOUT_MS', 'REDIS_SOCKET_CONNECT_TIMEOUT'],
      ['REDIS_COMMAND_TIMEOUT_MS', 'REDIS_SOCKET_TIMEOUT'],
    ] as const;
    for (const [ms, seconds] of aliasPairs) {
      const a = env[ms];
      const b = env[seconds];
      if (a !== undefined && b !== undefined && a !== b * 1000) {
        ctx.addIssue({ code: 'custom', path: [seconds], message: `disagrees with ${ms}; set only one of them` });
      }
    }
  });

export type WorkflowStoreEnv = z.output<typeof workflowStoreEnvSchema>;

/** Keeps only the variables this schema knows, so unrelated environment never fails validation. */
function pickKnown(env: Record<string, string | undefined>): Record<string, string> {
  const known: Record<string, string> = {};
  for (const key of Object.keys(workflowStoreEnvSchema.shape)) {
    const value = env[key];
    if (value !== undefined) known[key] = value;
  }
  return known;
}

/** Validates the environment once and returns the store's options; throws `InvalidConfigError` naming every bad variable. */
export function loadWorkflowStoreConfig(env: Record<string, string | undefined> = process.env): WorkflowStoreOptions {
  const parsed = workflowStoreEnvSchema.safeParse(pickKnown(env));
  if (!parsed.success) {
    throw new InvalidConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.map(String).join('.');
        const given = env[name];
        const shown = name.includes('PASSWORD') || given === undefined ? '' : ` (got ${JSON.stringify(withoutCredentials(given))})`;
        return `${name}: ${issue.message}${shown}`;
      }),
    );
  }
  const problems: string[] = [];
  const tls = tlsOptionsFrom(parsed.data, problems);
  if (problems.length > 0) throw new InvalidConfigError(problems);
  return toOptions(parsed.data, tls);
}

function toOptions(env: WorkflowStoreEnv, tls: RedisTlsOptions | undefined): WorkflowStoreOptions {
  return {
    backend: env.USE_REDIS ? 'redis' : 'memory',
    limits: {
      defaultTtlSeconds: env.WORKFLOW_STATE_TTL,
      maxTtlSeconds: env.WORKFLOW_MAX_TTL,
      maxStateBytes: env.WORKFLOW_MAX_STATE_BYTES,
    },
    redis: {
      url: env.REDIS_URL,
      username: env.REDIS_USERNAME,
      password: env.REDIS_PASSWORD,
      db: env.REDIS_DB ?? dbFromUrl(env.REDIS_URL),
      keyPrefix: env.REDIS_KEY_PREFIX,
      ...(tls ? { tls } : {}),
      connectTimeoutMs: env.REDIS_CONNECT_TIMEOUT_MS ?? (env.REDIS_SOCKET_CONNECT_TIMEOUT ?? 2) * 1000,
      commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS ?? (env.REDIS_SOCKET_TIMEOUT ?? 1) * 1000,
      persistenceCheck: env.REDIS_PERSISTENCE_CHECK,
      purgeIntervalMs: env.REDIS_PURGE_INTERVAL_MS,
    },
    memory: { snapshotPath: env.MEMORY_SNAPSHOT_PATH },
  };
}

/**
 * A bad value as an error message may show it: anything up to the last `@` could be credentials (in any scheme,
 * in a URL too broken to parse), so it is masked.
 */
function withoutCredentials(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 0) return value;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(value)?.[0] ?? '';
  return `${scheme}***${value.slice(at)}`;
}

function dbFromUrl(url: string): number {
  const match = /^rediss?:\/\/[^/]+\/(\d+)/.exec(url);
  return match?.[1] ? Number(match[1]) : 0;
}
