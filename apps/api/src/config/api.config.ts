import { z } from 'zod';

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
  ADMIN_ROUTES: z
    .enum(['true', 'false', '1', '0', ''], { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1')
    .default(false),
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
  /** When true, /admin routes (the NDJSON export used by `workflow-store migrate --from <url>`) are served; 403 otherwise. */
  adminRoutes: boolean;
}
