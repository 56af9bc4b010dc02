import { describe, expect, it } from '@jest/globals';
import { eventually } from '../../../../test/support/eventually.js';
import { TenantSweep } from './tenant-sweep.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits for a condition rather than a fixed time, so a loaded machine running the ticks late does not fail the test. */
const until = (condition: () => boolean, what: string): Promise<void> => eventually(condition, what, 5_000, 2);

describe('TenantSweep', () => {
  it('stop() waits for the tick in flight, which ends after its current shard, and logs no failure for it', async () => {
    const warnings: string[] = [];
    const swept: number[] = [];
    let closed = false;
    const sweep = new TenantSweep('test sweep', { log: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) }, {
      shards: 50,
      tenants: () => Promise.resolve(['t']),
      sweepShard: async (_tenant, shard) => {
        if (closed) throw new Error('Connection is closed.');
        await sleep(10);
        swept.push(shard);
        return 0;
      },
    });
    sweep.start(5);
    await until(() => swept.length > 0, 'a first shard swept'); // a tick is under way: it sweeps the next shard now
    await sweep.stop();
    closed = true; // what close() does next: the connection goes
    const sweptAtStop = swept.length;
    expect(sweptAtStop).toBeGreaterThan(0);
    expect(sweptAtStop).toBeLessThan(50);
    await sleep(40);
    expect(swept.length).toBe(sweptAtStop);
    expect(warnings).toEqual([]);
  });

  it('a tick that fails while running logs once, and again only after it worked', async () => {
    const warnings: string[] = [];
    const logs: string[] = [];
    let failing = true;
    let ticks = 0;
    const sweep = new TenantSweep('test sweep', { log: (m) => logs.push(m), warn: (m) => warnings.push(m), error: (m) => warnings.push(m) }, {
      shards: 1,
      tenants: () => {
        ticks += 1;
        return Promise.resolve(['t']);
      },
      sweepShard: () => (failing ? Promise.reject(new Error('down')) : Promise.resolve(0)),
    });
    sweep.start(5);
    await until(() => ticks >= 4, 'four failing ticks');
    failing = false;
    const failedTicks = ticks;
    await until(() => ticks >= failedTicks + 4, 'four working ticks');
    await sweep.stop();
    expect(warnings).toEqual(['test sweep skipped: down']);
    expect(logs).toEqual(['test sweep runs again']);
  });
});
