import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { loadWorkflowStoreConfig } from '../config/workflow-store.config.js';
import { RedisKeys } from './redis-keys.js';
import { leaseWriteKeys, ScriptArgs, writeScriptKeys } from './redis-script-args.js';

const config = loadWorkflowStoreConfig({ USE_REDIS: 'true', WORKFLOW_HISTORY_VERSIONS: '7', EVENTS_MAX_PER_SHARD: '500', REDIS_PURGE_INTERVAL_MS: '30000' });
const args = new ScriptArgs(config.redis, config.limits);

/** The label the header of lua/<file> gives ARGV[n] (the text up to the next ARGV or the end of the line). */
function argvLabel(file: string, n: number): string {
  const header = readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8').split(']]')[0] as string;
  const match = new RegExp(`ARGV\\[${n}\\] ([^\\n]*?)(?=\\s+ARGV\\[|\\n)`).exec(header);
  if (!match) throw new Error(`${file} has no ARGV[${n}]`);
  return match[1] as string;
}

/** Each [n, label start, value] names what the script's header says ARGV[n] is, and what the backend sends there. */
function expectArgs(file: string, sent: (string | number)[], expected: [number, string, string | number][], count: number): void {
  expect(sent).toHaveLength(count);
  for (const [n, label, value] of expected) {
    expect([n, argvLabel(file, n)]).toEqual([n, expect.stringMatching(new RegExp(`^${label}`))]);
    expect([n, sent[n - 1]]).toEqual([n, value]);
  }
}

describe('ScriptArgs: what the backend sends is what each script header says, in its order', () => {
  const write = { id: 'w1', type: 'invoice', status: undefined, stateJson: '{"a":1}', ttlSeconds: 60, expectedStamp: { createdMs: 5, updatedMs: 9 } };
  const idempotency = { key: 'k', fingerprint: 'fp' };

  it('save-12', () => {
    expectArgs('save-12.lua', args.save(write, 3, idempotency, 42), [
      [1, 'id', 'w1'],
      [3, 'status', ''],
      [4, 'state JSON', '{"a":1}'],
      [6, 'expected version', '3|5|9'],
      [7, 'request fingerprint', 'fp'],
      [8, 'idempotency window ms', config.limits.idempotencyTtlSeconds * 1000],
      [12, 'default ttl seconds', config.limits.defaultTtlSeconds],
      [14, 'events kept per shard', 500],
      [15, 'history versions kept', 7],
      [16, 'lease token', 42],
      [17, 'index TTL margin floor ms', 60_000],
    ], 17);
    expect(args.save(write, undefined, undefined, undefined)[5]).toBe('');
  });

  it('create-12, delete-12, touch-12', () => {
    expectArgs('create-12.lua', args.create({ id: 'w1', type: 't', status: 's', stateJson: '{}', ttlSeconds: 60 }, undefined), [
      [4, 'state JSON', '{}'],
      [6, 'request fingerprint', ''],
      [10, 'events kept per shard', 500],
      [11, 'index TTL margin floor ms', 60_000],
    ], 11);
    expectArgs('delete-12.lua', args.delete('w1', 4, idempotency, 42), [
      [2, 'expected version', 4],
      [3, 'request fingerprint', 'fp'],
      [8, 'lease token', 42],
    ], 8);
    expectArgs('touch-12.lua', args.touch('w1', undefined, undefined, 42, 6), [
      [2, 'ttl seconds', ''],
      [8, 'lease token', 42],
      [9, 'index TTL margin floor ms', 60_000],
      [10, 'expected version', 6],
    ], 10);
  });

  it('the lease scripts and the sweeps', () => {
    expectArgs('acquire-lease-6.lua', args.acquireLease('w1', 'me', 5000), [
      [2, 'owner', 'me'],
      [3, 'ttl ms', 5000],
      [5, 'events kept per shard', 500],
    ], 5);
    expectArgs('release-lease-6.lua', args.releaseLease('w1', 42, undefined), [
      [2, 'token', 42],
      [5, 'expected version', ''],
    ], 5);
    expectArgs('purge-expired-7.lua', args.sweep(), [[3, 'events kept per shard', 500]], 3);
    expectArgs('expire-leases-7.lua', args.sweep(), [[3, 'events kept per shard', 500]], 3);
  });
});

describe('the KEYS sent are what each script header lists, in its order', () => {
  // The header's role names (includes/common.lua) and the WorkflowKeys field each one is.
  const fieldOf: Record<string, string> = { rec: 'record', idem: 'idempotency', idx: 'index', exp: 'expiry', lbl: 'labels', hist: 'history', ev: 'events', nt: 'notice', own: 'leases', lsz: 'leaseExpiry', cpg: 'checkpoints', cpo: 'checkpointOrder' };
  const keys = new RedisKeys('p', 'default', 16).forWorkflow('w1', 'k');
  const headerKeys = (file: string): string[] => {
    const header = readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8').split(']]')[0] as string;
    return [...header.matchAll(/KEYS\[\d+\] (\w+)/g)].map((m) => (keys as unknown as Record<string, string>)[fieldOf[m[1] as string] as string] as string);
  };

  it('the workflow write scripts and the lease writes', () => {
    for (const file of ['create-12.lua', 'save-12.lua', 'delete-12.lua', 'touch-12.lua', 'restore-12.lua']) expect([file, writeScriptKeys(keys)]).toEqual([file, headerKeys(file)]);
    for (const file of ['acquire-lease-6.lua', 'release-lease-6.lua']) expect([file, leaseWriteKeys(keys)]).toEqual([file, headerKeys(file)]);
  });
});
