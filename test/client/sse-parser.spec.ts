/** The client's text/event-stream parser on its own: framing rules the service's streams rely on. */
import { describe, expect, it } from '@jest/globals';
import { SseParser } from '../../libs/client/src/index.js';

describe('SseParser', () => {
  it('parses the service\'s frames: retry hint, heartbeats, workflow events with ids, resets without', () => {
    const parser = new SseParser();
    const text =
      'retry: 2000\n\n: hb\n\nid: 1-0-0\nevent: workflow\ndata: {"eventId":"1-0-0"}\n\nevent: reset\ndata: {"reason":"trimmed"}\n\n';
    expect(parser.push(text)).toEqual([
      { event: 'workflow', data: '{"eventId":"1-0-0"}', id: '1-0-0' },
      { event: 'reset', data: '{"reason":"trimmed"}', id: undefined },
    ]);
    expect(parser.retryMs).toBe(2000);
  });

  it('joins frames split across chunks anywhere, CRLF and CR line ends included', () => {
    const text = 'id: 7\r\nevent: workflow\r\ndata: a\r\ndata: b\r\n\r\nid: 8\rdata: c\r\r';
    for (let cut = 0; cut <= text.length; cut++) {
      const parser = new SseParser();
      const frames = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      expect(frames).toEqual([
        { event: 'workflow', data: 'a\nb', id: '7' },
        { event: 'message', data: 'c', id: '8' },
      ]);
    }
  });

  it('never dispatches a frame whose blank line has not arrived (a connection cut mid-frame)', () => {
    const parser = new SseParser();
    expect(parser.push('id: 9\nevent: workflow\ndata: {"eventId":"9"}\n')).toEqual([]);
  });

  it('ignores blocks without data, unknown fields and a malformed retry', () => {
    const parser = new SseParser();
    expect(parser.push('id: 1\n\nfoo: bar\ndata\n\nretry: soon\n\n')).toEqual([{ event: 'message', data: '', id: undefined }]);
    expect(parser.retryMs).toBeUndefined();
  });
});
