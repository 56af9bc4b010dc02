/**
 * Tracing of the built API (a child process) against a real redis-server and a local OTLP/HTTP receiver: a request
 * sent with a W3C `traceparent` yields an HTTP server span (child of the caller's span), a store operation span under
 * it and Redis command spans under that, all in the caller's trace, and the request's log lines carry the trace id.
 * Without OTEL_EXPORTER_OTLP_ENDPOINT the SDK is not loaded at all.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiProcess } from '../support/api-process.js';
import { randomPrefix } from '../support/random-ids.js';
import { RedisServer } from '../support/redis-server.js';
import { OtlpReceiver, SPAN_KIND, type ReceivedSpan } from './otlp-receiver.js';

/** Preloaded into the API: prints the OpenTelemetry packages it loaded when it exits. */
const PROBE = join(process.cwd(), 'test/observability/otel-module-probe.cjs');
/** A string only the workflow's state contains: it must never reach a span. */
const STATE_MARKER = `state-marker-${randomBytes(6).toString('hex')}`;

interface LogLine {
  msg?: string;
  reqId?: string;
  trace_id?: string;
  span_id?: string;
  context?: string;
  probe?: string;
  packages?: string[];
}

/** The complete lines of `output` that are JSON (a line still being written, after the last newline, is left out). */
function lines(output: string): LogLine[] {
  return output
    .split('\n')
    .slice(0, -1)
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** The OpenTelemetry packages the API had loaded, from the probe's line at exit. */
function loadedPackages(output: string): string[] {
  const probe = lines(output).find((line) => line.probe === 'opentelemetry-packages');
  if (!probe?.packages) throw new Error(`no probe line in the API's output:\n${output}`);
  return probe.packages;
}

/** The log lines of one request, once its `request completed` line has arrived (bounded wait). */
async function requestLines(api: ApiProcess, requestId: string): Promise<LogLine[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const logged = lines(api.output).filter((line) => line.reqId === requestId);
    if (logged.some((line) => line.msg === 'request completed') || Date.now() > deadline) return logged;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether `ancestor` is `span`'s parent or a parent of its parent, among `spans`. */
function descendsFrom(span: ReceivedSpan, ancestor: ReceivedSpan, spans: ReceivedSpan[]): boolean {
  for (let parent = span.parentSpanId; parent !== ''; ) {
    if (parent === ancestor.spanId) return true;
    parent = spans.find((s) => s.spanId === parent)?.parentSpanId ?? '';
  }
  return false;
}

describe('tracing on (OTEL_EXPORTER_OTLP_ENDPOINT set)', () => {
  let redis: RedisServer;
  let receiver: OtlpReceiver;
  let api: ApiProcess;

  beforeAll(async () => {
    redis = await RedisServer.start();
    receiver = await OtlpReceiver.start();
    api = await ApiProcess.start({
      USE_REDIS: 'true',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: randomPrefix(),
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      NODE_OPTIONS: `--require ${PROBE}`,
    });
  });

  afterAll(async () => {
    await api?.stop();
    await receiver?.stop();
    await redis?.stop();
  });

  it("a request's spans: HTTP server span ← store operation ← Redis commands, in the caller's trace", async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const headers = { traceparent: `00-${traceId}-${callerSpanId}-01`, 'content-type': 'application/json' };
    const created = await fetch(`${api.url}/workflows`, { method: 'POST', headers, body: JSON.stringify({ type: 'traced', state: { note: STATE_MARKER } }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const requestId = `traced-${randomBytes(4).toString('hex')}`;
    const read = await fetch(`${api.url}/workflows/${id}`, { headers: { traceparent: headers.traceparent, 'x-request-id': requestId } });
    expect(read.status).toBe(200);

    const isGet = (s: ReceivedSpan): boolean => s.traceId === traceId && s.kind === SPAN_KIND.SERVER && s.attributes['http.request.method'] === 'GET';
    // The store operation under the GET (a read of the stored JSON) and the Redis commands it sent.
    const storeUnder = (http: ReceivedSpan, all: ReceivedSpan[]): ReceivedSpan | undefined =>
      all.find((s) => s.traceId === traceId && s.attributes['workflow_store.operation'] !== undefined && descendsFrom(s, http, all));
    const spans = await receiver.waitFor((all) => {
      const http = all.find(isGet);
      const store = http && storeUnder(http, all);
      const created = all.some((s) => s.traceId === traceId && s.name === 'workflow-store create');
      return created && store !== undefined && all.some((s) => s.parentSpanId === store.spanId);
    });

    const http = spans.find(isGet);
    const store = http && storeUnder(http, spans);
    const redisSpans = spans.filter((s) => s.parentSpanId === store?.spanId && s.attributes['db.system.name'] === 'redis');
    expect(http).toMatchObject({ parentSpanId: callerSpanId, name: 'GET /workflows/:id', attributes: { 'http.route': '/workflows/:id', 'http.response.status_code': 200 } });
    expect(http?.resource['service.name']).toBe('workflow-store');
    expect(store).toMatchObject({
      name: 'workflow-store getJsonBytes',
      kind: SPAN_KIND.INTERNAL,
      attributes: { 'workflow_store.operation': 'getJsonBytes', 'workflow_store.tenant': 'default', 'workflow_store.workflow_id': id },
    });
    expect(redisSpans.length).toBeGreaterThan(0);
    for (const span of redisSpans) expect(span).toMatchObject({ traceId, kind: SPAN_KIND.CLIENT, attributes: { 'server.address': '127.0.0.1', 'server.port': redis.port } });

    // The create too: its store span and Redis spans are in the same trace, under the POST's server span.
    const createSpan = spans.find((s) => s.traceId === traceId && s.name === 'workflow-store create');
    const post = spans.find((s) => s.traceId === traceId && s.kind === SPAN_KIND.SERVER && s.attributes['http.request.method'] === 'POST');
    expect(post?.parentSpanId).toBe(callerSpanId);
    expect(createSpan && post && descendsFrom(createSpan, post, spans)).toBe(true);
    expect(createSpan?.attributes['workflow_store.workflow_id']).toBe(id);

    // No state (nor any other argument) in what was exported.
    expect(receiver.bodies.join('\n')).not.toContain(STATE_MARKER);

    // The request's log lines carry its trace: the HTTP span's ids.
    const logged = await requestLines(api, requestId);
    expect(logged.map((line) => line.msg)).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
    for (const line of logged) expect(line).toMatchObject({ trace_id: traceId, span_id: http?.spanId });
    expect(lines(api.output).find((line) => line.context === 'Tracing')?.msg).toBe(`tracing: on → ${receiver.url}/v1/traces`);
  });

  it('the SDK is loaded (the probe sees it), and a graceful stop exits 0', async () => {
    expect(await api.stop()).toBe(0);
    expect(loadedPackages(api.output)).toEqual(expect.arrayContaining(['@opentelemetry/sdk-trace-node', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/instrumentation-http']));
  });
});

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('the SDK is never imported: only @opentelemetry/api, whose calls are no-ops', async () => {
    const api = await ApiProcess.start({ NODE_ENV: 'development', LOG_LEVEL: 'info', NODE_OPTIONS: `--require ${PROBE}` });
    let code: number | null;
    try {
      const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
      const created = await fetch(`${api.url}/workflows`, { method: 'POST', headers: { traceparent, 'content-type': 'application/json' }, body: '{"type":"x","state":{}}' });
      expect(created.status).toBe(201);
    } finally {
      code = await api.stop();
    }
    expect(code).toBe(0);
    const logged = lines(api.output);
    expect(logged.find((line) => line.context === 'Tracing')?.msg).toBe('tracing: off (OTEL_EXPORTER_OTLP_ENDPOINT is not set)');
    // Without an SDK no span is ever valid, so no line carries trace ids (not even the caller's).
    expect(logged.filter((line) => line.trace_id !== undefined)).toEqual([]);
    expect(loadedPackages(api.output)).toEqual(['@opentelemetry/api']);
  });
});
