/**
 * One board test file's world: a tenant of its own on the project's shared services (global-setup.mjs: a Redis,
 * two API replicas on it with one keys file and session secret, Chromium), API keys of that tenant for each role
 * (appended to the keys file; the API takes them within ~1 s), and browser sessions watched by a guard.
 * `stop()` closes the file's sessions, disconnects from Chromium and takes its keys out of the file again.
 */
import { readFileSync, renameSync, writeFileSync, appendFileSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { apiKey } from '../../security/api-keys.js';
import { eventually } from './board-pages.js';
import { BoardSession, type SessionOptions } from './board-session.js';
import { WorkflowsApi } from './workflows-api.js';

export type Role = 'read' | 'write' | 'admin';

export type SessionChoice = Partial<SessionOptions> & { replica?: number };

interface SharedServices {
  apiPorts: number[];
  keysFile: string;
  wsEndpoint: string;
}

function sharedServices(): SharedServices {
  const json = process.env.BOARD_TEST_SERVICES;
  if (!json) throw new Error('BOARD_TEST_SERVICES is not set: run the board tests through Jest (--selectProjects board), whose globalSetup starts the services');
  return JSON.parse(json) as SharedServices;
}

/** Chromium (the shared browser server): for tests that run their own API, e.g. modes.spec.ts. */
export function connectChromium(): Promise<Browser> {
  return chromium.connect(sharedServices().wsEndpoint);
}

export class BoardEnv {
  private readonly sessions = new Set<BoardSession>();
  /** Logged-in sessions kept from test to test (one per role): see shared(). */
  private readonly kept = new Map<Role, BoardSession>();
  /** The keys file entries this file added (and has not revoked). */
  private readonly entries = new Set<string>();

  private constructor(
    readonly tenant: string,
    readonly ports: number[],
    readonly browser: Browser,
    readonly keys: Record<Role, { key: string; entry: string }>,
    private readonly keysFile: string,
  ) {}

  /** Joins the shared services as `tenant` (a name no other test file uses). */
  static async start(tenant: string): Promise<BoardEnv> {
    const services = sharedServices();
    const keys = { read: apiKey(tenant, 'read'), write: apiKey(tenant, 'write'), admin: apiKey(tenant, 'admin') };
    const browser = await chromium.connect(services.wsEndpoint);
    const env = new BoardEnv(tenant, services.apiPorts, browser, keys, services.keysFile);
    try {
      for (const { entry } of Object.values(keys)) env.addKey(entry);
      await env.whenAccepted(keys.read.key);
      return env;
    } catch (error) {
      await env.stop();
      throw error;
    }
  }

  /** Base URL of replica `i` (default the first). */
  url(i = 0): string {
    return `http://127.0.0.1:${this.ports[i]!}`;
  }

  /** The tenant's HTTP API on replica `i`, with the key of `role`. */
  api(role: Role = 'write', i = 0): WorkflowsApi {
    return new WorkflowsApi(this.url(i), this.keys[role].key);
  }

  /**
   * A fresh browser context (no cookies) on replica `options.replica ?? 0` (or on `options.base`, e.g. a proxy in
   * front of one), watched by a guard.
   */
  async session(options: SessionChoice = {}): Promise<BoardSession> {
    const session = await BoardSession.open(this.browser, { ...options, base: options.base ?? this.url(options.replica ?? 0) });
    this.sessions.add(session);
    return session;
  }

  /** A session logged in with the key of `role`, its page on the list. */
  async loggedIn(role: Role, options: SessionChoice = {}): Promise<BoardSession> {
    const session = await this.session(options);
    await session.login(this.keys[role].key);
    return session;
  }

  /**
   * A session logged in with `role` that is kept for the file's later tests (a context and a login cost about a
   * second each on a busy 2-core machine). Its guard is checked and reset after every test like a fresh one's.
   * For tests that need no isolation of cookies or browser state from the tests before them.
   */
  async shared(role: Role): Promise<BoardSession> {
    let session = this.kept.get(role);
    if (!session) {
      session = await BoardSession.open(this.browser, { base: this.url() });
      this.kept.set(role, session);
      await session.login(this.keys[role].key);
    }
    return session;
  }

  /** Adds an entry to the keys file (the API re-reads it within ~1 s). */
  addKey(entry: string): void {
    appendFileSync(this.keysFile, `${entry}\n`);
    this.entries.add(entry);
  }

  /** Removes an entry from the keys file: the API stops accepting that key within ~1 s. */
  revoke(entry: string): void {
    const kept = readFileSync(this.keysFile, 'utf8')
      .split('\n')
      .filter((line) => line !== entry);
    // Replaced in one rename: the API never reads a half-written file.
    writeFileSync(`${this.keysFile}.next`, kept.join('\n'));
    renameSync(`${this.keysFile}.next`, this.keysFile);
    this.entries.delete(entry);
  }

  /** Resolves once every replica accepts `key` (keys added to the file are picked up within ~1 s). */
  async whenAccepted(key: string): Promise<void> {
    await Promise.all(
      this.ports.map((_, i) => {
        const api = new WorkflowsApi(this.url(i), key);
        return eventually(async () => (await api.call('GET', '/workflows?limit=1')).status === 200, `replica ${i} to accept a new key`, 5000);
      }),
    );
  }

  /**
   * For afterEach: closes every session opened since the last call and throws if any saw a console error, an
   * uncaught page error, a request to another origin or a board answer without the CSP that it did not allow.
   */
  async closeSessions(): Promise<void> {
    const problems: string[] = [];
    for (const session of this.sessions) {
      problems.push(...session.guard.problems());
      for (const warning of session.guard.consoleWarnings) console.warn(`board page console warning: ${warning}`);
      await session.close();
    }
    this.sessions.clear();
    for (const session of this.kept.values()) {
      problems.push(...session.guard.problems());
      for (const warning of session.guard.consoleWarnings) console.warn(`board page console warning: ${warning}`);
      session.guard.reset();
      await session.closeOtherPages();
    }
    if (problems.length > 0) throw new Error(`the board pages misbehaved:\n  ${problems.join('\n  ')}`);
  }

  async stop(): Promise<void> {
    for (const session of [...this.sessions, ...this.kept.values()]) await session.close().catch(() => undefined);
    this.sessions.clear();
    this.kept.clear();
    await this.browser.close(); // a connected browser: disconnects, the server keeps running
    for (const entry of [...this.entries]) this.revoke(entry);
  }
}
