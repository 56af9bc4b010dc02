import type { JsonObject, JsonValue } from '#workflow-store';

/** A JSON object state of a given approximate size, deterministic, shaped like a document workflow's state. */
export type JsonDoc = JsonObject;

export interface DocSize {
  label: '1 KB' | '32 KB';
  /** Short tag used in ids and keys. */
  tag: '1k' | '32k';
  bytes: number;
}

export const DOC_SIZES: readonly DocSize[] = [
  { label: '1 KB', tag: '1k', bytes: 1024 },
  { label: '32 KB', tag: '32k', bytes: 32 * 1024 },
];

/** Pages of an extracted document until the JSON is about `bytes` long (within one page of it, never over). */
export function makeState(bytes: number): JsonDoc {
  const pages: JsonValue[] = [];
  const state: JsonDoc = { documentId: 'doc-000042', stage: 'extract', step: 0, pages };
  for (let n = 0; ; n++) {
    const page = {
      n,
      text: `Invoice line ${n}: ${'lorem ipsum dolor sit amet '.repeat(2)}`.slice(0, 60),
      confidence: Math.round(((n * 7919) % 1000) / 10) / 100,
      fields: { amount: (n * 13.37) % 1000, currency: 'EUR', ok: n % 3 !== 0 },
    };
    pages.push(page);
    if (JSON.stringify(state).length > bytes) {
      pages.pop();
      break;
    }
  }
  const padding = bytes - JSON.stringify({ ...state, note: '' }).length;
  if (padding > 0) state.note = 'x'.repeat(padding);
  return state;
}

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}
