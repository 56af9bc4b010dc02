import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { ProblemDetailsFilter } from '../problem/problem-details.filter.js';

/** A controller route whose requests Fastify hands to the controller method itself. */
export interface DirectRoute {
  method: 'GET' | 'PUT';
  /** As Nest registers it, e.g. `/workflows/:id`. */
  url: string;
  /** Calls the controller method with the arguments its parameter decorators name (what Nest's router passes). */
  call(request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

/**
 * The hottest routes skip Nest's per-request router (argument array, pipes, interceptor chain, response controller:
 * measured, most of the API's own CPU time on a 1 KB GET). This API has no guards, interceptors or pipes, so what
 * that router does for these routes is: call the method, send what it returns, give a throw to the exception
 * filter. The handler installed here does exactly that. Nest still registers the route (so the OpenAPI document
 * describes it from the same decorators); only the handler Fastify calls is replaced, as Nest hands it to Fastify
 * (`onRoute`, so before `app.init()`). Every Fastify hook (request id, auth, rate limit, metrics, tracing) still runs.
 * A GET's HEAD route, which Fastify derives from it, is replaced too. Boot fails if a route was not found.
 */
export function routeDirectly(fastify: FastifyInstance, routes: readonly DirectRoute[], filter: ProblemDetailsFilter): void {
  const pending = new Map<string, DirectRoute>();
  for (const route of routes) {
    pending.set(`${route.method} ${route.url}`, route);
    if (route.method === 'GET') pending.set(`HEAD ${route.url}`, route);
  }
  const wanted = new Map(pending);
  fastify.addHook('onRoute', (options: RouteOptions) => {
    if (typeof options.method !== 'string') return;
    const key = `${options.method} ${options.url}`;
    const route = wanted.get(key);
    if (!route) return;
    pending.delete(key);
    // Returns nothing: a returned reply (a thenable) costs an end-of-stream listener on every response.
    options.handler = function direct(request, reply): void {
      route.call(request, reply).then(
        (body) => {
          try {
            reply.send(body);
          } catch (error) {
            filter.answer(error, request, reply); // as Nest's router: a throw while sending goes to the filter too
          }
        },
        (error: unknown) => filter.answer(error, request, reply),
      );
    };
  });
  fastify.addHook('onReady', (done) => {
    done(pending.size === 0 ? undefined : new Error(`direct routes not registered by Nest: ${[...pending.keys()].join(', ')}`));
  });
}
