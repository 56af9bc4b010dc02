import { SentinelConnector } from 'ioredis';

type SentinelOptions = ConstructorParameters<typeof SentinelConnector>[0];
type ErrorEmitter = Parameters<SentinelConnector['connect']>[0];
type Stream = Awaited<ReturnType<SentinelConnector['connect']>>;

/** The private ioredis FailoverDetector fields the guard replaces: its `disconnect()` is what +switch-master calls. */
interface FailoverDetectorInternals {
  isDisconnected: boolean;
  disconnect(): void;
}

/**
 * ioredis 6.0.0's SentinelConnector, minus one way to stop reconnecting for good.
 *
 * With `failoverDetector: true` the detector of the last connection stays subscribed to +switch-master while the
 * client reconnects. When the message arrives while the connector is asking a Sentinel for the master — the usual
 * moment, since the master has just died — the detector calls the connector's `disconnect()`, the attempt then
 * throws "Connection is closed." and `Redis#connect` sets the status to `end`: no retry ever again (CI: the store
 * answered "Redis connection is end" after a Sentinel failover). Asking the Sentinels again is exactly what the
 * message calls for, so such an attempt starts over at once. A `disconnect()` from the client itself (a close, or a
 * reconnect it wants) still aborts the attempt as before. Used as the `Connector` option, so `duplicate()`d clients
 * (the feed's subscriber) get it too. Test: test/sentinel/sentinel-reconnect.spec.ts R1/R2.
 */
export class SentinelReconnectGuard extends SentinelConnector {
  /** True from the detector's disconnect until the client's own disconnect or the next attempt. */
  private droppedForFailover = false;

  /** `options`: the client's own options, which ioredis passes as they are (`Connector` is typed to take unknown). */
  constructor(options: unknown) {
    super(options as SentinelOptions);
    // ioredis creates a detector per connection (private field `failoverDetector`); each gets our disconnect.
    let detector: FailoverDetectorInternals | null = null;
    Object.defineProperty(this, 'failoverDetector', {
      configurable: true,
      get: () => detector,
      set: (next: FailoverDetectorInternals | null) => {
        detector = next;
        if (!next) return;
        next.disconnect = () => {
          next.isDisconnected = true; // once per detector, as in ioredis
          this.dropForFailover();
        };
      },
    });
  }

  override async connect(eventEmitter: ErrorEmitter): Promise<Stream> {
    for (;;) {
      this.droppedForFailover = false;
      try {
        return await super.connect(eventEmitter);
      } catch (error) {
        if (!this.droppedForFailover) throw error;
        // The detector aborted this attempt: ask the Sentinels again (at most once per detector, so no busy loop).
      }
    }
  }

  /** The client's own disconnect: a close or a reconnect it asked for ends the attempt in progress. */
  override disconnect(): void {
    this.droppedForFailover = false;
    super.disconnect();
  }

  private dropForFailover(): void {
    super.disconnect(); // drops the socket if one is open and cleans up the detector, as ioredis does
    this.droppedForFailover = true;
  }
}
