import { createHash, randomBytes } from 'node:crypto';

/** A fresh random API key and its `tenant:role:sha256` configuration entry. */
export function apiKey(tenant: string, role: 'read' | 'write' | 'admin'): { key: string; entry: string } {
  const key = `wfs_${randomBytes(24).toString('base64url')}`;
  return { key, entry: `${tenant}:${role}:${createHash('sha256').update(key).digest('hex')}` };
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}
