import { nowMs } from './clock.js';
import { latencyMeasurement } from './latency-summary.js';
import type { Measurement } from './measure.js';

/** Where a write's events are told about its sending and its answer (a DeliveryLog, or a proxy to one in another process). */
export interface WriteLog {
  /** The write with this key (what its event is matched by) is being sent now, at `at` (nowMs()). */
  sent(key: string, measured: boolean, at?: number): void;
  /** Its answer came: written (`ok`) or not (then its event is not expected). */
  answered(key: string, ok: boolean, at?: number): void;
}

/**
 * When each write of a run was sent and answered, and when each of `clients` receivers got its event; joined after
 * the run into delivery latencies. A write and its event meet by key, in whichever order they are logged (an event
 * may be read before the write's answer, or, across processes, before the news that it was sent). Only writes
 * marked `measured` (sent after the warm-up) count; a measured write answered as written that never reached a
 * receiver is a miss. Times are nowMs().
 */
export class DeliveryLog implements WriteLog {
  private readonly sentAt: Float64Array;
  private readonly answeredAt: Float64Array;
  private readonly ok: Uint8Array;
  private readonly measured: Uint8Array;
  /** arrivals[client × capacity + slot]: when that client got the slot's event (0 = not yet). */
  private readonly arrivals: Float64Array;
  private readonly slotOfKey = new Map<string, number>();
  /** The slot an event id is of (cached: many clients read each event, the first one parses it). */
  private readonly slotOfEventId = new Map<string, number>();
  private count = 0;
  /** The same event delivered twice to one client. */
  duplicates = 0;
  /** Writes or events not logged because the log was full. */
  overflow = 0;

  constructor(
    readonly capacity: number,
    readonly clients: number,
  ) {
    this.sentAt = new Float64Array(capacity);
    this.answeredAt = new Float64Array(capacity);
    this.ok = new Uint8Array(capacity);
    this.measured = new Uint8Array(capacity);
    this.arrivals = new Float64Array(capacity * clients);
  }

  sent(key: string, measured: boolean, at = nowMs()): void {
    const slot = this.slot(key);
    if (slot < 0) return;
    this.sentAt[slot] = at;
    this.measured[slot] = measured ? 1 : 0;
  }

  answered(key: string, ok: boolean, at = nowMs()): void {
    const slot = this.slot(key);
    if (slot < 0) return;
    this.answeredAt[slot] = at;
    this.ok[slot] = ok ? 1 : 0;
  }

  /** The slot of the write an event is of: by its event id once seen, else by `keyOf()` (parses the frame). */
  slotOfEvent(eventId: string, keyOf: () => string): number {
    let slot = this.slotOfEventId.get(eventId);
    if (slot === undefined) {
      slot = this.slot(keyOf());
      this.slotOfEventId.set(eventId, slot);
    }
    return slot;
  }

  /** Client `client` got the event of `slot` at `at`. */
  arrived(client: number, slot: number, at: number): void {
    if (slot < 0) return;
    const index = client * this.capacity + slot;
    if (this.arrivals[index] !== 0) this.duplicates++;
    else this.arrivals[index] = at;
  }

  /**
   * Acknowledged writes whose event some client has not received yet (write × client pairs): the measured ones, or
   * with `all` every one (the warm-up's too).
   */
  outstanding(all = false): number {
    let missing = 0;
    for (let slot = 0; slot < this.count; slot++) {
      if (!(all ? this.acknowledged(slot) : this.expected(slot))) continue;
      for (let client = 0; client < this.clients; client++) if (this.arrivals[client * this.capacity + slot] === 0) missing++;
    }
    return missing;
  }

  /** Waits until every acknowledged write (measured, or with `all` every one) reached every client, or `timeoutMs` passed. */
  async drain(timeoutMs: number, all = false): Promise<number> {
    const deadline = nowMs() + timeoutMs;
    while (this.outstanding(all) > 0 && nowMs() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    return this.outstanding(all);
  }

  /**
   * Measured writes answered as written, sent but never answered, answered with an error; and `foreign`: events
   * some client got of no write sent in this log (another figure's, or one from before the log).
   */
  writes(): { acknowledged: number; unanswered: number; failed: number; foreign: number } {
    const counts = { acknowledged: 0, unanswered: 0, failed: 0, foreign: 0 };
    for (let slot = 0; slot < this.count; slot++) {
      if (this.sentAt[slot] === 0) counts.foreign++;
      else if (!this.measured[slot]) continue;
      else if (this.answeredAt[slot] === 0) counts.unanswered++;
      else if (this.ok[slot]) counts.acknowledged++;
      else counts.failed++;
    }
    return counts;
  }

  /**
   * Delivery latencies over every (measured, acknowledged write, client) pair, from the write being sent (`from:
   * 'sent'`) or answered (`'answered'`) to the client reading its chunk; errors = pairs that never arrived.
   */
  latency(from: 'sent' | 'answered', seconds: number): Measurement {
    const values: number[] = [];
    let missed = 0;
    this.forEachExpected((arrivedAt, slot) => {
      if (arrivedAt === 0) missed++;
      else values.push(arrivedAt - ((from === 'sent' ? this.sentAt : this.answeredAt)[slot] as number));
    });
    return latencyMeasurement(Float64Array.from(values), seconds, missed);
  }

  /** How long the measured, acknowledged writes took to be answered (sent → answered). */
  answerTimes(seconds: number): Measurement {
    const values: number[] = [];
    for (let slot = 0; slot < this.count; slot++) {
      if (this.expected(slot)) values.push((this.answeredAt[slot] as number) - (this.sentAt[slot] as number));
    }
    return latencyMeasurement(Float64Array.from(values), seconds, 0);
  }

  /** Clients that missed at least one measured, acknowledged write. */
  clientsMissing(): number {
    const short = new Set<number>();
    this.forEachExpected((arrivedAt, _slot, client) => {
      if (arrivedAt === 0) short.add(client);
    });
    return short.size;
  }

  private acknowledged(slot: number): boolean {
    return this.sentAt[slot] !== 0 && this.ok[slot] === 1;
  }

  private expected(slot: number): boolean {
    return this.acknowledged(slot) && this.measured[slot] === 1;
  }

  private forEachExpected(visit: (arrivedAt: number, slot: number, client: number) => void): void {
    for (let slot = 0; slot < this.count; slot++) {
      if (!this.expected(slot)) continue;
      for (let client = 0; client < this.clients; client++) visit(this.arrivals[client * this.capacity + slot] as number, slot, client);
    }
  }

  private slot(key: string): number {
    let slot = this.slotOfKey.get(key);
    if (slot === undefined) {
      if (this.count >= this.capacity) {
        this.overflow++;
        return -1;
      }
      slot = this.count++;
      this.slotOfKey.set(key, slot);
    }
    return slot;
  }
}
