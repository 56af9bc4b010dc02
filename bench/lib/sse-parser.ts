/** One server-sent event as the wire carries it (`event` defaults to "message", as in EventSource). */
export interface SseFrame {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * Splits a text/event-stream into frames as chunks arrive (a frame ends at a blank line; it may span chunks, and a
 * chunk may hold several). Comment lines (`: hb`, heartbeats) are counted, not passed on; `retry:` is ignored.
 * Lines end with LF (what the API sends); a CR before it is dropped.
 */
export class SseParser {
  comments = 0;
  private buffer = '';

  constructor(private readonly onFrame: (frame: SseFrame) => void) {}

  push(chunk: string): void {
    this.buffer = this.buffer.length === 0 ? chunk : this.buffer + chunk;
    let start = 0;
    for (let end = this.buffer.indexOf('\n\n', start); end >= 0; end = this.buffer.indexOf('\n\n', start)) {
      this.frame(this.buffer.slice(start, end));
      start = end + 2;
    }
    this.buffer = start === 0 ? this.buffer : this.buffer.slice(start);
  }

  private frame(block: string): void {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    let fields = 0;
    for (const raw of block.split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') continue;
      if (line.startsWith(':')) {
        this.comments++;
        continue;
      }
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1);
      fields++;
      if (name === 'id') id = value;
      else if (name === 'event') event = value;
      else if (name === 'data') data.push(value);
    }
    if (fields > 0 && data.length > 0) this.onFrame({ id, event, data: data.join('\n') });
  }
}
