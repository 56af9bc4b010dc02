import { InvalidInputError } from '../errors/invalid-input.error.js';
import { checkName, decodeCheckpoint, decodeValue, decodeWrite, encodeCheckpoint, encodeValue, encodeWrite } from './checkpoint-codec.js';

describe('checkpoint records', () => {
  const binary = new Uint8Array([0, 1, 255, 0, 10, 13, 0]);

  it('round-trip binary bodies (NUL bytes included) with their types', () => {
    const checkpoint = decodeCheckpoint(encodeCheckpoint({ parentId: 'p-1', checkpoint: ['bytes', binary], metadata: ['json', Buffer.from('{"a":"\u0000"}')] }));
    expect(checkpoint.parentId).toBe('p-1');
    expect([checkpoint.checkpoint[0], Buffer.from(checkpoint.checkpoint[1])]).toEqual(['bytes', Buffer.from(binary)]);
    expect(Buffer.from(checkpoint.metadata[1]).toString()).toBe('{"a":"\u0000"}');
    expect(decodeCheckpoint(encodeCheckpoint({ parentId: undefined, checkpoint: ['json', new Uint8Array()], metadata: ['json', binary] })).parentId).toBeUndefined();

    const write = decodeWrite(encodeWrite({ channel: 'messages', taskPath: '~__pregel_pull, a', value: ['bytes', binary] }));
    expect([write.channel, write.taskPath, write.value[0], Buffer.from(write.value[1])]).toEqual(['messages', '~__pregel_pull, a', 'bytes', Buffer.from(binary)]);
    const [type, bytes] = decodeValue(encodeValue(['json', binary]));
    expect([type, Buffer.from(bytes)]).toEqual(['json', Buffer.from(binary)]);
  });

  it('refuse a record of another format or cut short', () => {
    expect(() => decodeValue(Buffer.from('2\0json\0{}'))).toThrow(/unknown format/);
    expect(() => decodeWrite(Buffer.from('1\0ch'))).toThrow(/truncated/);
  });

  it('names with the stores separators are bad input', () => {
    expect(checkName('ns|child:1', 'checkpoint_ns')).toBe('ns|child:1');
    expect(() => checkName('a\u0000b', 'checkpoint_ns')).toThrow(InvalidInputError);
    expect(() => checkName('a\u0001b', 'channel')).toThrow(InvalidInputError);
  });
});
