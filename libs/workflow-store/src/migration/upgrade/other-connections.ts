import { isCluster, type StoreRedisClient } from '../../redis/redis-client.types.js';

/** The client name every store connection sets (redis-client.factory.ts). */
const STORE_CONNECTION_NAME = 'workflow-store';

/**
 * How many connections other than this client's carry the store's client name, over every master: a service
 * replica (or another CLI run) still connected. The upgrade needs the service stopped: a running replica checked
 * its tenants' format at their first use and keeps writing the old layout. Undefined when Redis does not let us
 * look (an ACL without CLIENT).
 */
export async function otherStoreConnections(client: StoreRedisClient): Promise<number | undefined> {
  const nodes = isCluster(client) ? client.nodes('master') : [client];
  let others = 0;
  try {
    for (const node of nodes) {
      const ownId = String(await node.call('CLIENT', 'ID'));
      const list = String(await node.call('CLIENT', 'LIST', 'TYPE', 'normal'));
      for (const line of list.split('\n')) {
        const fields = new Map(line.trim().split(' ').map((field) => field.split('=', 2) as [string, string]));
        if (fields.get('name') === STORE_CONNECTION_NAME && fields.get('id') !== ownId) others += 1;
      }
    }
  } catch {
    return undefined; // NOPERM: we cannot tell; the README says to stop the service
  }
  return others;
}
