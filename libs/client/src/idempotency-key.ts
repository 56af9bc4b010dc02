/**
 * A fresh Idempotency-Key (a UUID v4: 36 characters, inside the service's 1–128 of `A-Z a-z 0-9 _ . ~ -`).
 * `crypto.randomUUID` exists in Node ≥ 19 and in browsers on secure (https) pages only; elsewhere the same format
 * is built from `getRandomValues`, which every browser has.
 */
export function newIdempotencyKey(): string {
  const crypto = globalThis.crypto;
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40; // version 4
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 4122 variant
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
