/** Taken messages left at the front before the array is compacted (and at least half of it). */
const COMPACT_AFTER = 4096;

/**
 * A first-in first-out queue whose take is O(1) at any length. A watch's queue can hold a whole resume or a batch
 * the feed read after a stall, and Array#shift is not: past about 16 000 elements V8 copies the rest of the array on
 * every shift (draining 100 000 messages that way blocked the event loop for 7 s, 1 000 000 for 10 minutes).
 */
export class MessageQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item, removed; undefined when empty. */
  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined; // not kept alive by the array
    this.head += 1;
    if (this.head === this.items.length) this.clear();
    else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items.length = 0; // the same array again: a queue that keeps emptying allocates nothing
    this.head = 0;
  }
}
