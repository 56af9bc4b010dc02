import type { Logger } from 'pino';

/** The API's tracing: started before the app's modules are loaded (main.ts), shut down (flushed) at exit. */
export interface Tracing {
  readonly enabled: boolean;
  /** Exports the spans still buffered and stops tracing; bounded by OTEL_BSP_EXPORT_TIMEOUT / the exporter timeout. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, shutdown: () => Promise.resolve() };

/** Why tracing is off, or undefined when it is on. */
function offReason(env: NodeJS.ProcessEnv): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return 'OTEL_SDK_DISABLED=true';
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return 'OTEL_TRACES_EXPORTER=none';
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()) return 'OTEL_EXPORTER_OTLP_ENDPOINT is not set';
  return undefined;
}

/** The URL spans are sent to, for the boot line: no credentials, no query. Throws on a value that is not a URL. */
function describeEndpoint(env: NodeJS.ProcessEnv): string {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const name = traces ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const value = traces || base || '';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name}: not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${name}: must be an http:// or https:// URL (OTLP/HTTP)`);
  // The signal path is appended to the base endpoint (the spec's rule), used as given on the traces one.
  const path = traces ? url.pathname : `${url.pathname.replace(/\/$/, '')}/v1/traces`;
  return `${url.protocol}//${url.host}${path}`;
}

/**
 * Starts OpenTelemetry tracing when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). Otherwise the SDK is never imported: the store's and the logger's calls to
 * `@opentelemetry/api` stay no-ops. Logs one line either way (`tracing: off (…)` / `tracing: on → <url>`).
 */
export async function startTracing(log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  const reason = offReason(env);
  if (reason !== undefined) {
    log.info({ context: 'Tracing' }, `tracing: off (${reason})`);
    return OFF;
  }
  const endpoint = describeEndpoint(env);
  const { startTracingSdk } = await import('./tracing-sdk.js');
  const shutdown = startTracingSdk(log);
  log.info({ context: 'Tracing', endpoint }, `tracing: on → ${endpoint}`);
  return { enabled: true, shutdown };
}
