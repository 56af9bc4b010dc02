import type { LimitsOptions } from '../../config/workflow-store.options.js';
import { EventsDisabledError } from '../../errors/events-disabled.error.js';
import type { EventPosition } from '../../events/event-id.js';
import { DEFAULT_HUB_OPTIONS, EventHub } from '../../events/event-hub.js';
import type { WatchFilter, WatchMessage, WorkflowEvent } from '../../events/workflow-event.js';
import type { StoreLogger } from '../../shared/store-logger.js';
import type { RedisConnection } from '../redis-connection.js';
import { mapRedisError } from '../redis-errors.js';
import type { RedisKeys } from '../redis-keys.js';
import type { NoticeHub } from './notice-hub.js';
import { RedisFeedSource } from './redis-feed-source.js';
import { readWorkflowEvents } from './workflow-events.js';

/** What a tenant's feed reads with. */
export interface TenantFeedDeps {
  connection: RedisConnection;
  keys: RedisKeys;
  tenant: string;
  limits: LimitsOptions;
  logger: StoreLogger;
  /** The root's notice channels (one subscriber connection per master), made by the first watch of any tenant. */
  notices: () => NoticeHub;
}

/**
 * One tenant's change feed in this process: a workflow's events (its shard stream, read backwards in pages) and
 * watches (one hub per tenant per process, reading the shard streams, created by the first watch). The caller
 * checks the tenant's format first.
 */
export class TenantFeed {
  private hub: EventHub | undefined;

  constructor(private readonly deps: TenantFeedDeps) {}

  /** Throws EventsDisabledError when EVENTS_RETENTION_SECONDS is 0. */
  assertEnabled(): void {
    if (this.retentionMs === 0) throw new EventsDisabledError();
  }

  events(id: string, limit: number): Promise<WorkflowEvent[]> {
    const { connection, keys, tenant } = this.deps;
    const shard = keys.shardOf(id);
    return connection.read('events', () => readWorkflowEvents(connection.client, keys.shard(shard).events, shard, tenant, id, limit));
  }

  async watch(filter: WatchFilter, after: EventPosition | undefined, signal: AbortSignal | undefined): Promise<AsyncIterableIterator<WatchMessage>> {
    const { connection, keys, tenant, logger } = this.deps;
    connection.assertReady('watch');
    this.hub ??= new EventHub(
      new RedisFeedSource({ client: connection.client, keys, tenant, retentionMs: this.retentionMs, notices: this.deps.notices(), logger }),
      { ...DEFAULT_HUB_OPTIONS, retentionMs: this.retentionMs },
      (late) => logger.warn(`change feed: ${late.length} event(s) arrived after later ones were delivered (first ${late[0]?.event.eventId}); watches were reset`),
    );
    try {
      return await this.hub.watch(filter, after, signal);
    } catch (error) {
      throw mapRedisError(error, 'watch', false);
    }
  }

  close(): void {
    this.hub?.close();
  }

  private get retentionMs(): number {
    return this.deps.limits.eventsRetentionSeconds * 1000;
  }
}
