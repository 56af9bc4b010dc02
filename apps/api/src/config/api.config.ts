import { z } from 'zod';
import type { ApiKeyEntry } from '../auth/api-key-entry.js';

/** API-only settings; the store's own variables are validated by the core's schema. Both are documented in the README. */
export const apiEnvSchema = z.object({
  PORT: z.coerce.number({ message: 'must be a port number' }).int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REQUIRE_IF_MATCH: z
    .enum(['true', 'false', '1', '0', ''], { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1')
    .default(false),
  API_KEYS: z.string().optional(),
  API_KEYS_FILE: z.string().min(1).optional(),
  AUTH_MODE: z.enum(['keys', 'none'], { message: 'must be keys or none' }).optional(),
  NODE_ENV: z.string().optional(),
  RATE_LIMIT_PER_MINUTE: z.coerce.number({ message: 'must be a whole number' }).int().min(0).max(1_000_000).default(1200),
  ADMIN_ROUTES: z
    .enum(['true', 'false', '1', '0', ''], { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1')
    .default(false),
  SSE_HEARTBEAT_MS: z.coerce.number({ message: 'must be a whole number of ms' }).int().min(1000).max(60_000).default(15_000),
  BOARD_ENABLED: z
    .enum(['true', 'false', '1', '0', ''], { message: 'must be true or false' })
    .transform((v) => v !== 'false' && v !== '0')
    .default(true),
  BOARD_SESSION_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).max(1024).optional(),
});

export interface ApiOptions {
  port: number;
  host: string;
  /** Largest request body; by default the state limit plus 64 KiB of envelope. */
  bodyLimitBytes: number;
  shutdownTimeoutMs: number;
  logLevel: z.output<typeof apiEnvSchema>['LOG_LEVEL'];
  /** When true, writes to an existing workflow must carry If-Match (428 otherwise). */
  requireIfMatch: boolean;
  auth: AuthOptions;
  /** Requests per minute per API key, shared by every replica through Redis (memory backend: per process); 0 = off. */
  rateLimitPerMinute: number;
  /** When true, /admin routes (the NDJSON export used by `workflow-store migrate --from <url>`) are served; 403 otherwise. */
  adminRoutes: boolean;
  /**
   * How often an idle event stream (GET /events, /workflows/:id/events) gets a comment line, so proxies and load
   * balancers that drop silent connections keep it, and a client notices a dead connection.
   */
  sseHeartbeatMs: number;
  board: BoardOptions;
}

/** The web board at /board (apps/api/src/board). */
export interface BoardOptions {
  enabled: boolean;
  /**
   * Signs board sessions and CSRF tokens. Give every replica the same one so a session works on all of them; without
   * it each process makes its own and a session is valid only on the replica that issued it.
   */
  sessionSecret: string | undefined;
}

/** `keys`: every request outside /health, /metrics and /docs needs a Bearer key. `open`: no keys, one `default` tenant. */
export type AuthOptions =
  | { mode: 'keys'; entries: ApiKeyEntry[]; keysFile?: string }
  | { mode: 'open'; reason: string };
