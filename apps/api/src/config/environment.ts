import { InvalidConfigError, loadWorkflowStoreConfig, type WorkflowStoreOptions } from '#workflow-store';
import { apiEnvSchema, type ApiOptions, type AuthOptions } from './api.config.js';
import { authOptionsFrom } from './auth-options.js';

/** What `ConfigService` holds after boot: the validated options, never raw strings. */
export interface Environment {
  api: ApiOptions;
  workflowStore: WorkflowStoreOptions;
}

const API_KEYS = Object.keys(apiEnvSchema.shape);

/**
 * Validates the whole environment once (store + API) and reports every bad variable together; used as
 * `ConfigModule.forRoot({ validate })`.
 */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const env = Object.fromEntries(Object.entries(raw).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  const problems: string[] = [];
  let workflowStore: WorkflowStoreOptions | undefined;
  try {
    workflowStore = loadWorkflowStoreConfig(env);
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    problems.push(...error.problems);
  }
  const api = apiEnvSchema.safeParse(Object.fromEntries(API_KEYS.filter((k) => env[k] !== undefined).map((k) => [k, env[k]])));
  if (!api.success) {
    problems.push(...api.error.issues.map((i) => `${i.path.join('.')}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`));
  }
  let auth: AuthOptions | undefined;
  if (api.success) {
    try {
      auth = authOptionsFrom(api.data);
    } catch (error) {
      problems.push((error as Error).message);
    }
    // The API may run open in production on purpose (behind a gateway that authenticates); the board has no gateway
    // in front of a browser, so it is never served open there.
    if (auth?.mode === 'open' && api.data.BOARD_ENABLED && api.data.NODE_ENV === 'production') {
      problems.push('NODE_ENV=production without API keys would serve the board (/board) unauthenticated: set BOARD_ENABLED=false, or API_KEYS / API_KEYS_FILE');
    }
  }
  if (problems.length > 0 || !workflowStore || !api.success || !auth) throw new InvalidConfigError(problems);
  return {
    workflowStore,
    api: {
      port: api.data.PORT,
      host: api.data.HOST,
      bodyLimitBytes: api.data.BODY_LIMIT_BYTES ?? workflowStore.limits.maxStateBytes + 64 * 1024,
      shutdownTimeoutMs: api.data.SHUTDOWN_TIMEOUT_MS,
      logLevel: api.data.LOG_LEVEL,
      requireIfMatch: api.data.REQUIRE_IF_MATCH,
      adminRoutes: api.data.ADMIN_ROUTES,
      auth,
      rateLimitPerMinute: api.data.RATE_LIMIT_PER_MINUTE,
      sseHeartbeatMs: api.data.SSE_HEARTBEAT_MS,
      board: { enabled: api.data.BOARD_ENABLED, sessionSecret: api.data.BOARD_SESSION_SECRET },
    },
  };
}
