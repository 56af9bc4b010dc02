import { DEFAULT_TENANT } from '#workflow-store';
import type { Principal } from './api-key-registry.js';

/** Who every request is when the service runs without keys. */
export const OPEN_PRINCIPAL: Principal = Object.freeze({ tenant: DEFAULT_TENANT, role: 'admin', keyId: 'open' });

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook on every route that needs it. */
    principal: Principal | null;
  }
}
