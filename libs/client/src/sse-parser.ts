/** One dispatched SSE event (a blank-line-terminated block with data), per the WHATWG event-stream rules. */
export interface SseFrame {
  /** `event:`; `message` when the block had none. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The `id:` of this block, if it had one. Blocks without one (the service's resets) do not move the resume point. */
  id: string | undefined;
}

/**
 * Incremental text/event-stream parser: feed it decoded text as it arrives, get back the frames completed by it.
 * Comments (`: hb` heartbeats) are skipped; `retry:` updates `retryMs`. A block cut off by a dropped connection is
 * never dispatched (the caller drops the parser with the connection), so its id is never taken as seen.
 */
export class SseParser {
  /** The last `retry:` hint, in ms. */
  retryMs: number | undefined;
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  /** A `\r` ended the last chunk: a `\n` starting the next one belongs to it. */
  private pendingCr = false;

  push(text: string): SseFrame[] {
    let chunk = text;
    if (this.pendingCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.pendingCr = false;
    this.buffer += chunk;
    const frames: SseFrame[] = [];
    for (;;) {
      const end = this.buffer.search(/[\r\n]/);
      if (end < 0) break;
      const line = this.buffer.slice(0, end);
      let skip = 1;
      if (this.buffer[end] === '\r') {
        if (end + 1 === this.buffer.length) this.pendingCr = true;
        else if (this.buffer[end + 1] === '\n') skip = 2;
      }
      this.buffer = this.buffer.slice(end + skip);
      const frame = this.line(line);
      if (frame) frames.push(frame);
    }
    return frames;
  }

  private line(line: string): SseFrame | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
    return undefined;
  }

  private dispatch(): SseFrame | undefined {
    const frame: SseFrame | undefined = this.data.length > 0 ? { event: this.event || 'message', data: this.data.join('\n'), id: this.id } : undefined;
    this.data = [];
    this.event = '';
    this.id = undefined;
    return frame;
  }
}
