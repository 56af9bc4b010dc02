import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthOptions } from '../config/api.config.js';
import { problem } from '../problem/problem-types.js';
import { sendProblem } from '../problem/send-problem.js';
import { roleAllows } from './api-key-entry.js';
import { ApiKeyRegistry } from './api-key-registry.js';
import { OPEN_PRINCIPAL } from './principal.js';
import { isBoardPath, isPublicPath, roleNeeded } from './route-access.js';

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

/**
 * Authenticates every non-public request before its body is read: a missing, unknown or revoked key is 401, a key
 * whose role is too low 403. The caller's tenant then scopes everything the request touches. Without keys every
 * request is the `default` tenant with the admin role.
 */
export function registerAuth(fastify: FastifyInstance, auth: AuthOptions, warn: (message: string) => void): ApiKeyRegistry | null {
  fastify.decorateRequest('principal', null);
  if (auth.mode === 'open') {
    fastify.addHook('onRequest', (request, _reply, done) => {
      request.principal = OPEN_PRINCIPAL;
      done();
    });
    return null;
  }
  const registry = new ApiKeyRegistry(auth.entries, auth.keysFile, warn);
  registry.watch();
  fastify.addHook('onClose', (_instance, done) => {
    registry.stop();
    done();
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (isPublicPath(request.url) || isBoardPath(request.url)) return done();
    const key = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (!key) return refuse(request, reply, 'unauthorized', 'Send Authorization: Bearer <API key>');
    const principal = registry.verify(key);
    if (!principal) return refuse(request, reply, 'unauthorized', 'Unknown or revoked API key');
    const needed = roleNeeded(request.method, request.url);
    if (!roleAllows(principal.role, needed)) return refuse(request, reply, 'forbidden', `This key has the ${principal.role} role; ${needed} is needed`);
    request.principal = principal;
    done();
  });
  return registry;
}

function refuse(request: FastifyRequest, reply: FastifyReply, type: 'unauthorized' | 'forbidden', detail: string): void {
  if (type === 'unauthorized') void reply.header('www-authenticate', 'Bearer realm="workflow-store"');
  sendProblem(reply, problem(type, detail), request.url);
}
