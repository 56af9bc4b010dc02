import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { ApiKeyEntry, Role } from './api-key-entry.js';
import { parseApiKeyEntries } from './api-key-entry.js';

/** How often API_KEYS_FILE is checked for changes: a key removed from it stops working within this time. */
export const KEYS_FILE_CHECK_MS = 1000;

export interface Principal {
  tenant: string;
  role: Role;
  /** Names the key in rate limiting and logs: the first 16 hex digits of its SHA-256 (never the key). */
  keyId: string;
}

/**
 * The configured keys (API_KEYS plus API_KEYS_FILE) and the check of a presented key. The file is re-read when it
 * changes, so keys are added and revoked without a restart; a file that turns unreadable or invalid keeps the
 * last good set and is reported.
 */
export class ApiKeyRegistry {
  private fileEntries: ApiKeyEntry[] = [];
  private fileStamp = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly inlineEntries: ApiKeyEntry[],
    private readonly keysFile: string | undefined,
    private readonly warn: (message: string) => void,
  ) {
    if (keysFile) this.loadFile(true);
  }

  get size(): number {
    return this.inlineEntries.length + this.fileEntries.length;
  }

  /** Starts watching API_KEYS_FILE; the timer does not keep the process alive. */
  watch(): void {
    if (!this.keysFile || this.timer) return;
    this.timer = setInterval(() => this.loadFile(false), KEYS_FILE_CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * The principal of a presented key, or null. The key is hashed and compared with every entry in constant time,
   * with no early exit, so timing tells nothing about which entry (if any) matched.
   */
  verify(key: string): Principal | null {
    const digest = createHash('sha256').update(key, 'utf8').digest();
    let found: Principal | null = null;
    for (const entry of [...this.inlineEntries, ...this.fileEntries]) {
      if (timingSafeEqual(digest, entry.sha256) && found === null) {
        found = { tenant: entry.tenant, role: entry.role, keyId: entry.sha256.subarray(0, 8).toString('hex') };
      }
    }
    return found;
  }

  /**
   * The principal of a key still configured, by its id (see `Principal.keyId`), or null once it is revoked: how a
   * board session, which holds no key, checks on every request that its key is still valid.
   */
  principalOf(keyId: string): Principal | null {
    for (const entry of [...this.inlineEntries, ...this.fileEntries]) {
      if (entry.sha256.subarray(0, 8).toString('hex') === keyId) return { tenant: entry.tenant, role: entry.role, keyId };
    }
    return null;
  }

  private loadFile(atBoot: boolean): void {
    const path = this.keysFile as string;
    try {
      const stat = statSync(path);
      const stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
      if (stamp === this.fileStamp) return;
      const entries = parseApiKeyEntries(readFileSync(path, 'utf8'), 'API_KEYS_FILE');
      this.fileEntries = entries;
      this.fileStamp = stamp;
      if (!atBoot) this.warn(`API_KEYS_FILE changed: ${entries.length} keys now`);
    } catch (error) {
      if (atBoot) throw new Error(`API_KEYS_FILE ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
      this.warn(`API_KEYS_FILE ${path} could not be re-read (${(error as Error).message}); keeping the previous ${this.fileEntries.length} keys`);
    }
  }
}
