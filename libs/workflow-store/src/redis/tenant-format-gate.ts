import type { RedisConnection } from './redis-connection.js';
import { ensureTenantFormat, type TenantFormat } from './storage-format.js';

/** What the gate checks against: the tenant, and where and how its data is laid out. */
export interface TenantFormatScope {
  prefix: string;
  tenant: string;
  shards: number;
  /** REDIS_FORMAT_CHECK=off: nothing is checked. */
  off: boolean;
}

/**
 * How far one tenant's storage format is known to fit this store (storage-format.ts): `recorded` (its record fits:
 * reads and writes go ahead), `readable` (no record and no v1 data: reads go ahead, the first write records the
 * format), or not checked yet. Checked once, before the tenant's first read (without writing anything) and before
 * its first write (recording the format if the tenant has none); the root tenant at boot. A failed check (Redis
 * down, a mismatch) is not remembered: the next call checks again.
 */
export class TenantFormatGate {
  /** Read on every write: `level !== 'recorded'` is the whole cost of the gate once the tenant is recorded. */
  level: 'unchecked' | 'readable' | 'recorded' = 'unchecked';
  private readonly pending: { read?: Promise<void> | undefined; write?: Promise<void> | undefined } = {};

  constructor(
    private readonly connection: RedisConnection,
    private readonly scope: TenantFormatScope,
  ) {}

  /** What the boot check found for the root tenant. */
  booted(found: TenantFormat): void {
    this.level = found === 'recorded' ? 'recorded' : 'readable';
  }

  /** Resolves once the tenant may be read (`forWrite` false) or written. */
  ensure(forWrite = true): Promise<void> {
    if (this.scope.off || this.level === 'recorded' || (!forWrite && this.level === 'readable')) return Promise.resolve();
    // One check in flight per kind: a burst of first writes to a new tenant must not send a check each.
    const kind = forWrite ? 'write' : 'read';
    let pending = this.pending[kind];
    if (!pending) {
      pending = this.check(forWrite).finally(() => (this.pending[kind] = undefined));
      this.pending[kind] = pending;
    }
    return pending;
  }

  /** Whether a read must wait for `ensure(false)` first. */
  get readUnchecked(): boolean {
    return this.level === 'unchecked' && !this.scope.off;
  }

  private async check(forWrite: boolean): Promise<void> {
    const { prefix, tenant, shards } = this.scope;
    const found = await this.connection.read('format check', () => ensureTenantFormat(this.connection.client, prefix, tenant, shards, forWrite));
    if (found === 'recorded') this.level = 'recorded';
    else if (this.level === 'unchecked') this.level = 'readable';
  }
}
