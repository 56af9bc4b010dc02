import { TENANT_PATTERN } from '#workflow-store';

/** Each role includes the ones before it. */
export const ROLES = ['read', 'write', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A configured key: never the key itself, only its SHA-256. */
export interface ApiKeyEntry {
  tenant: string;
  role: Role;
  sha256: Buffer;
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/**
 * Parses `tenant:role:sha256hex` entries, separated by commas or newlines (blank lines and `#` comments are
 * skipped). Errors name the entry by position, never by content.
 */
export function parseApiKeyEntries(text: string, source: string): ApiKeyEntry[] {
  const entries: ApiKeyEntry[] = [];
  const items = text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '' && !item.startsWith('#'));
  items.forEach((item, index) => {
    const [tenant = '', role = '', hex = '', ...rest] = item.split(':');
    const where = `${source} entry ${index + 1}`;
    if (rest.length > 0 || !TENANT_PATTERN.test(tenant)) throw new Error(`${where}: expected tenant:role:sha256hex with a tenant of 1-32 characters of A-Z a-z 0-9 _ . -`);
    if (!(ROLES as readonly string[]).includes(role)) throw new Error(`${where}: role must be one of ${ROLES.join(', ')}`);
    if (!SHA256_HEX.test(hex)) throw new Error(`${where}: the key must be given as its SHA-256 in hex (64 hex digits), never the key itself`);
    entries.push({ tenant, role: role as Role, sha256: Buffer.from(hex, 'hex') });
  });
  return entries;
}

export function roleAllows(granted: Role, needed: Role): boolean {
  return ROLES.indexOf(granted) >= ROLES.indexOf(needed);
}
