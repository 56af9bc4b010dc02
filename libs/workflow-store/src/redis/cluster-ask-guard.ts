import type { Cluster, Redis } from 'ioredis';

/**
 * ioredis 6.0.0 follows an ASK redirect (a slot being migrated) by sending ASKING to the target node and dropping
 * the promise of that command. When ASKING times out (a loaded node during a live reshard), its rejection is
 * unhandled: it would crash an application that runs Node's default `--unhandled-rejections=throw` (seen as
 * "Command timed out" failures during the 20-master slot-move test). The redirected command itself still answers
 * its caller (with its own timeout), so the dropped ASKING's error is only swallowed here, on every node connection.
 */
export function catchDroppedAsking(cluster: Cluster): void {
  cluster.on('+node', (node: Redis) => {
    const asking = node.asking.bind(node) as () => Promise<'OK'>;
    (node as unknown as { asking: () => Promise<'OK'> }).asking = () => {
      const sent = asking();
      sent.catch(() => undefined);
      return sent;
    };
  });
}
