import { Cluster } from 'ioredis';
import { stopSlotsRefreshAfterClose } from './cluster-refresh-guard.js';

/** The private ioredis members the test drives: the same path a refresh in flight at close takes. */
interface RefreshInternals {
  slotsTimer?: NodeJS.Timeout | null;
  resetNodesRefreshInterval(): void;
}

function lazyCluster(): Cluster {
  // Never connects: port 1 is not listened on, and lazyConnect sends nothing until a command.
  return new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true, slotsRefreshInterval: 1000 });
}

describe('stopSlotsRefreshAfterClose', () => {
  it('a refresh that finishes after disconnect() arms no new slots timer', () => {
    const cluster = lazyCluster();
    stopSlotsRefreshAfterClose(cluster);
    const internals = cluster as unknown as RefreshInternals;
    cluster.disconnect();
    internals.resetNodesRefreshInterval(); // what the in-flight refresh's callback does in ioredis 6.0.0
    expect(internals.slotsTimer ?? null).toBeNull();
  });

  it('without the guard ioredis does arm one (the bug the guard exists for)', () => {
    const cluster = lazyCluster();
    const internals = cluster as unknown as RefreshInternals;
    cluster.disconnect();
    internals.resetNodesRefreshInterval();
    const armed = internals.slotsTimer;
    expect(armed).toBeTruthy();
    clearTimeout(armed ?? undefined);
  });

  it('an open client keeps refreshing', () => {
    const cluster = lazyCluster();
    stopSlotsRefreshAfterClose(cluster);
    const internals = cluster as unknown as RefreshInternals;
    internals.resetNodesRefreshInterval();
    const armed = internals.slotsTimer;
    expect(armed).toBeTruthy();
    cluster.disconnect(); // clears it through the guard's getter
    expect(internals.slotsTimer ?? null).toBeNull();
    clearTimeout(armed ?? undefined);
  });
});
