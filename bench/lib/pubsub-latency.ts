import { Redis } from 'ioredis';
import { nowMs } from './clock.js';
import { DeliveryLog } from './delivery-log.js';
import type { Measurement } from './measure.js';
import { paced } from './paced.js';

/**
 * The floor of any Redis-notified feed: a raw PUBLISH → SUBSCRIBE round trip at `rate` per second, on two plain
 * ioredis connections of this process (a publisher, auto-pipelining off, and a subscriber). Latency is from the
 * PUBLISH call to the subscriber's `message` callback. Warm-up messages are not counted.
 */
export async function pubsubLatency(url: string, channel: string, rate: number, warmupS: number, durationS: number): Promise<Measurement> {
  const publisher = new Redis(url, { enableAutoPipelining: false });
  const subscriber = new Redis(url);
  const log = new DeliveryLog(Math.ceil(rate * (warmupS + durationS) * 1.05) + 100, 1);
  try {
    subscriber.on('message', (_channel: string, message: string) => {
      const at = nowMs();
      log.arrived(0, log.slotOfEvent(message, () => message), at);
    });
    await subscriber.subscribe(channel);
    const warmup = rate * warmupS;
    const pending: Promise<unknown>[] = [];
    await paced(rate, (warmupS + durationS) * 1000, (n) => {
      const key = String(n);
      log.sent(key, n >= warmup);
      pending.push(publisher.publish(channel, key).then((receivers) => log.answered(key, receivers > 0), () => log.answered(key, false)));
    });
    await Promise.all(pending);
    await log.drain(5000);
    return log.latency('sent', durationS);
  } finally {
    publisher.disconnect();
    subscriber.disconnect();
  }
}
