import vm from 'node:vm';

/**
 * Pids of every child process a test started and has not seen exit (redis-server, the built API), killed with
 * SIGKILL when the process exits so nothing outlives the run if a test forgets to stop one (or timed out before
 * its cleanup). Jest gives each test file a copy of `process` whose 'exit' never fires, and a fresh copy of this
 * module per file; so the registry and its one 'exit' listener live on the real process object.
 */
const REGISTRY = Symbol.for('workflow-store.test.child-pids');
type Registry = Set<number>;

export function killAtExit(): Registry {
  // The host's `process` (not Jest's per-file copy): the only one whose 'exit' event is ever emitted.
  const realProcess = vm.runInThisContext('process') as NodeJS.Process & { [REGISTRY]?: Registry };
  let pids = realProcess[REGISTRY];
  if (!pids) {
    const created: Registry = new Set();
    pids = created;
    realProcess[REGISTRY] = created;
    realProcess.on('exit', () => {
      for (const pid of created) {
        try {
          realProcess.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
  }
  return pids;
}
