/**
 * Writes through the HTTP API that record, from each answer, the event the write must produce; and the comparison
 * of what a stream delivered with those writes (shared by the event-stream e2e specs).
 */
import { expect } from '@jest/globals';
import type { StreamedEvent } from '../support/sse-client.js';

/** The event a write must produce: what it did, and the workflow's version and labels after it. */
export interface ExpectedEvent {
  id: string;
  op: 'created' | 'updated' | 'touched' | 'deleted';
  version: number;
  type: string;
  status: string;
}

interface WorkflowAnswer {
  version: number;
  type: string;
  status: string;
}

const json = { 'content-type': 'application/json' };
const mergePatch = { 'content-type': 'application/merge-patch+json' };

export class EventWriter {
  /** In the order the answers came; each workflow's writes are made one after another, so per id in write order. */
  readonly expected: ExpectedEvent[] = [];
  private readonly last = new Map<string, WorkflowAnswer>();

  /** `headers`: sent with every write (an API key). */
  constructor(private readonly headers: Record<string, string> = {}) {}

  async create(base: string, id: string, type: string, status = 'new'): Promise<void> {
    await this.write(base, 'POST', '/workflows', json, { id, type, status, state: { n: 0 } }, 201, id, 'created');
  }

  async patch(base: string, id: string, status: string): Promise<void> {
    await this.write(base, 'PATCH', `/workflows/${id}`, mergePatch, { status, state: { status } }, 200, id, 'updated');
  }

  async put(base: string, id: string, n: number): Promise<void> {
    const current = this.last.get(id);
    await this.write(base, 'PUT', `/workflows/${id}`, json, { type: current?.type, status: current?.status, state: { n } }, 200, id, 'updated');
  }

  async touch(base: string, id: string): Promise<void> {
    await this.write(base, 'POST', `/workflows/${id}/touch`, json, { ttlSeconds: 3600 }, 200, id, 'touched');
  }

  async remove(base: string, id: string): Promise<void> {
    const response = await fetch(`${base}/workflows/${id}`, { method: 'DELETE', headers: this.headers });
    if (response.status !== 204) throw new Error(`DELETE ${id} answered ${response.status}: ${await response.text()}`);
    const last = this.last.get(id);
    if (!last) throw new Error(`DELETE of ${id}, never written here`);
    this.expected.push({ id, op: 'deleted', ...last });
    this.last.delete(id);
  }

  /**
   * One workflow's whole life: created, `steps` writes (PATCH, PUT and touch in turn), deleted; each write through
   * the next of `bases` (replicas) in turn.
   */
  async lifecycle(bases: readonly string[], id: string, type: string, steps: number): Promise<void> {
    let turn = 0;
    const base = (): string => bases[turn++ % bases.length] as string;
    await this.create(base(), id, type);
    for (let step = 1; step <= steps; step++) {
      if (step % 3 === 1) await this.patch(base(), id, `s${step % 4}`);
      else if (step % 3 === 2) await this.put(base(), id, step);
      else await this.touch(base(), id);
    }
    await this.remove(base(), id);
  }

  private async write(
    base: string,
    method: string,
    path: string,
    contentType: Record<string, string>,
    body: unknown,
    status: number,
    id: string,
    op: ExpectedEvent['op'],
  ): Promise<void> {
    const response = await fetch(`${base}${path}`, { method, headers: { ...this.headers, ...contentType }, body: JSON.stringify(body) });
    const text = await response.text();
    if (response.status !== status) throw new Error(`${method} ${path} answered ${response.status}, not ${status}: ${text}`);
    const { version, type, status: workflowStatus } = JSON.parse(text) as WorkflowAnswer;
    this.last.set(id, { version, type, status: workflowStatus });
    this.expected.push({ id, op, version, type, status: workflowStatus });
  }
}

/** `op@version type/status` per workflow id, in the order given. */
function perWorkflow(events: readonly ExpectedEvent[]): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const e of events) (result[e.id] ??= []).push(`${e.op}@${e.version} ${e.type}/${e.status}`);
  return result;
}

/**
 * The stream carried exactly the expected events: each once (no event id twice), every one of them (no gap), and
 * per workflow in write order. Across workflows the feed orders by the store's clock, not by answer order, so only
 * the per-workflow order is compared.
 */
export function expectSameEvents(received: readonly StreamedEvent[], expected: readonly ExpectedEvent[]): void {
  const ids = received.map((e) => e.eventId);
  expect(ids.length - new Set(ids).size).toBe(0);
  const asExpected = received.map((e) => ({ id: e.id, op: e.op as ExpectedEvent['op'], version: e.version, type: e.type, status: e.status }));
  expect(perWorkflow(asExpected)).toEqual(perWorkflow(expected));
  expect(received.length).toBe(expected.length);
}

/** Whether every expected event has arrived (the condition to wait for before comparing). */
export function hasAll(received: readonly StreamedEvent[], expected: readonly ExpectedEvent[]): boolean {
  if (received.length < expected.length) return false;
  const seen = new Set(received.map((e) => `${e.id} ${e.op}@${e.version}`));
  return expected.every((e) => seen.has(`${e.id} ${e.op}@${e.version}`));
}

/** Event ids in feed order: `<ms>-<seq>-<shard>` compared as numbers. */
export function compareEventIds(a: string, b: string): number {
  const [x, y] = [a, b].map((id) => id.split('-').map(Number));
  for (let i = 0; i < 3; i++) {
    const d = (x?.[i] ?? 0) - (y?.[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
