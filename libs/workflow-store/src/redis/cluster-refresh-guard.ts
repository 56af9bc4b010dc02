import type { Cluster } from 'ioredis';

/** The two private fields of an ioredis Cluster the guard reads and intercepts. */
interface ClusterRefreshInternals {
  slotsTimer?: NodeJS.Timeout | null;
  manuallyClosing?: boolean;
}

/**
 * ioredis 6.0.0 re-arms a Cluster's `slotsRefreshInterval` timer from the callback of the refresh that timer
 * started, whatever the client's status. A refresh still in flight when `quit()`/`disconnect()` ran therefore
 * arms a new timer after the close, and from then on the closed client "refreshes" (no nodes: fails at once)
 * every interval forever, holding the process open (seen: Jest never exited after a Cluster test's store closed
 * during a refresh). Once the client is closing for good, any timer it arms is cleared on the spot.
 */
export function stopSlotsRefreshAfterClose(cluster: Cluster): void {
  const internals = cluster as unknown as ClusterRefreshInternals;
  let timer: NodeJS.Timeout | null | undefined = internals.slotsTimer;
  Object.defineProperty(cluster, 'slotsTimer', {
    configurable: true,
    enumerable: true,
    get: () => timer,
    set: (next: NodeJS.Timeout | null | undefined) => {
      if (next && internals.manuallyClosing) {
        clearTimeout(next);
        timer = null;
        return;
      }
      timer = next;
    },
  });
}
