import { InvalidInputError } from '../errors/invalid-input.error.js';

/**
 * The saver's records, opaque to the backends: a small header of fields separated by \0, then the serialised
 * bytes as the serializer produced them (binary-safe: lengths, not separators, delimit them).
 *   checkpoint: "1\0<parent id>\0<checkpoint type>\0<metadata type>\0<checkpoint length>\0" checkpoint metadata
 *   write:      "1\0<channel>\0<value type>\0<task path>\0" value
 *   value:      "1\0<value type>\0" value   (a channel value)
 */
const FORMAT = '1';

export interface CheckpointRecord {
  parentId: string | undefined;
  checkpoint: [type: string, bytes: Uint8Array];
  metadata: [type: string, bytes: Uint8Array];
}

export interface WriteRecord {
  channel: string;
  taskPath: string;
  value: [type: string, bytes: Uint8Array];
}

export function encodeCheckpoint(record: CheckpointRecord): Buffer {
  const [cpType, cp] = record.checkpoint;
  const [metaType, meta] = record.metadata;
  const head = [FORMAT, record.parentId ?? '', cpType, metaType, String(cp.byteLength), ''].join('\0');
  return Buffer.concat([Buffer.from(head), cp, meta]);
}

export function decodeCheckpoint(bytes: Buffer): CheckpointRecord {
  const { texts, body } = fields(bytes, 4);
  const [parent = '', cpType = '', metaType = '', cpLength = ''] = texts;
  const length = Number(cpLength);
  return {
    parentId: parent === '' ? undefined : parent,
    checkpoint: [cpType, body.subarray(0, length)],
    metadata: [metaType, body.subarray(length)],
  };
}

export function encodeWrite(record: WriteRecord): Buffer {
  const [type, bytes] = record.value;
  return Buffer.concat([Buffer.from([FORMAT, record.channel, type, record.taskPath, ''].join('\0')), bytes]);
}

export function decodeWrite(bytes: Buffer): WriteRecord {
  const { texts, body } = fields(bytes, 3);
  const [channel = '', type = '', taskPath = ''] = texts;
  return { channel, taskPath, value: [type, body] };
}

export function encodeValue([type, bytes]: [string, Uint8Array]): Buffer {
  return Buffer.concat([Buffer.from([FORMAT, type, ''].join('\0')), bytes]);
}

export function decodeValue(bytes: Buffer): [type: string, bytes: Uint8Array] {
  const { texts, body } = fields(bytes, 1);
  return [texts[0] ?? '', body];
}

/** After the format mark: `count` text fields, and the rest as bytes. */
function fields(bytes: Buffer, count: number): { texts: string[]; body: Buffer } {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i <= count; i++) {
    const end = bytes.indexOf(0, at);
    if (end < 0) throw new Error('a stored checkpoint record is truncated');
    out.push(bytes.subarray(at, end).toString());
    at = end + 1;
  }
  if (out.shift() !== FORMAT) throw new Error('a stored checkpoint record has an unknown format');
  return { texts: out, body: bytes.subarray(at) };
}

/** Names the stores keep in field names and lists: no \0 or \1 (their separators). */
export function checkName(value: string, path: string): string {
  if (/[\0\x01]/.test(value)) throw new InvalidInputError([{ path, message: 'must not contain the characters \\u0000 or \\u0001' }]);
  return value;
}
