import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WorkflowStore } from '#workflow-store';
import type { Environment } from '../config/environment.js';
import { ShutdownState } from '../health/shutdown-state.js';
import { MetricsRegistry } from '../metrics/metrics.registry.js';
import { ProblemException } from '../problem/problem.exception.js';
import { openWatch, type EventStreamRequest } from './event-stream-request.js';
import { SSE_HEADERS, SseConnection, type SseLimits, type SseObserver } from './sse-connection.js';

/** A client more than this far behind is dropped: far more than a healthy client ever buffers, small next to memory. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;
/** A full socket that does not drain within this is a stalled client (a paused tab, a dead network path). */
export const DRAIN_TIMEOUT_MS = 10_000;
/** At shutdown, how long ended streams may take to flush their last bytes. */
const END_GRACE_MS = 1000;

/**
 * The open event streams of this process: starts each one (answering problems while nothing is sent yet) and ends
 * them all when the application shuts down, before the HTTP server waits for its connections to finish; an open
 * stream never finishes by itself, so without this a SIGTERM would wait for SHUTDOWN_TIMEOUT_MS.
 */
@Injectable()
export class EventStreams implements BeforeApplicationShutdown {
  private readonly logger = new Logger('EventStreams');
  private readonly open = new Set<SseConnection>();
  private readonly limits: SseLimits;
  private readonly observer: SseObserver;
  private closing = false;

  constructor(
    config: ConfigService<Environment, true>,
    private readonly metrics: MetricsRegistry,
    private readonly shutdown: ShutdownState,
  ) {
    const { sseHeartbeatMs } = config.get('api', { infer: true });
    this.limits = { heartbeatMs: sseHeartbeatMs, maxBufferedBytes: MAX_BUFFERED_BYTES, drainTimeoutMs: DRAIN_TIMEOUT_MS, endGraceMs: END_GRACE_MS };
    this.observer = {
      sent: () => metrics.sseEventsSent.inc(),
      dropped: (reason, error) => {
        metrics.sseClientsDropped.inc({ reason });
        if (reason === 'feed-error') this.logger.warn(`event stream ended: the change feed could not be read: ${(error as Error | undefined)?.message ?? 'unknown'}`);
      },
    };
  }

  /**
   * Answers the request with an event stream. Everything that can fail (shutdown, a bad filter or event id, the feed
   * off, the store unreachable) fails before the first byte, so it is still answered as problem+json by the caller.
   * `until`: ends the stream when aborted (the board's session ended: its key was revoked).
   */
  async serve(request: FastifyRequest, reply: FastifyReply, store: WorkflowStore, wanted: EventStreamRequest, until?: AbortSignal): Promise<void> {
    this.refuseWhileClosing();
    const messages = await openWatch(store, wanted);
    if (this.closing || this.shutdown.shuttingDown) {
      await messages.return?.();
      this.refuseWhileClosing();
    }
    // HEAD (Fastify answers it with the GET handler): the same checks and head, but a stream without a body would
    // never end.
    if (request.method === 'HEAD') {
      await messages.return?.();
      void reply.status(200).headers(SSE_HEADERS).send();
      return;
    }
    // From here the answer is the stream: Fastify and Nest leave the response to us (nothing buffers it).
    reply.hijack();
    request.raw.socket.setNoDelay(true);
    const connection = new SseConnection(reply.raw, messages, this.limits, this.observer);
    this.open.add(connection);
    this.metrics.sseConnections.inc();
    void connection.done.then(() => {
      this.open.delete(connection);
      this.metrics.sseConnections.dec();
    });
    connection.start(reply.getHeaders());
    if (until) {
      const end = (): void => connection.end('session-ended');
      if (until.aborted) end();
      else {
        until.addEventListener('abort', end, { once: true });
        void connection.done.then(() => until.removeEventListener('abort', end));
      }
    }
  }

  /** Ends every stream (their clients reconnect to another replica) and refuses new ones. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    const ending = [...this.open];
    for (const connection of ending) connection.end('shutdown');
    await Promise.all(ending.map((connection) => connection.done));
  }

  private refuseWhileClosing(): void {
    if (this.closing || this.shutdown.shuttingDown) {
      throw new ProblemException('shutting-down', 'This instance is shutting down; reconnect, another instance will answer.');
    }
  }
}
