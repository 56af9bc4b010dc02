import { GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA } from '@nestjs/common/constants.js';
import type { FastifyRequest } from 'fastify';
import type { DirectRoute } from '../http/direct-routes.js';
import { WorkflowsController } from './workflows.controller.js';

const idOf = (request: FastifyRequest): string => (request.params as { id: string }).id;

/**
 * GET and PUT /workflows/:id, called without Nest's router (see direct-routes.ts): the arguments are those the
 * methods' decorators name, `@Param('id')`, `@Body()`, `@Req()`, `@Res({ passthrough: true })`. A guard,
 * interceptor or pipe put on the controller or these methods would be skipped by a direct handler, so one there
 * fails the boot instead (the API module registers none globally: only its APP_FILTER, which direct routes use).
 */
export function workflowDirectRoutes(controller: WorkflowsController): DirectRoute[] {
  for (const target of [WorkflowsController, WorkflowsController.prototype.get, WorkflowsController.prototype.put]) {
    for (const kind of [GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA]) {
      const enhancers = Reflect.getMetadata(kind, target) as unknown[] | undefined;
      if (enhancers?.length) throw new Error(`WorkflowsController has ${kind} that a direct route would skip: remove it from workflow-direct-routes.ts`);
    }
  }
  return [
    { method: 'GET', url: '/workflows/:id', call: (request, reply) => controller.get(idOf(request), request, reply) },
    { method: 'PUT', url: '/workflows/:id', call: (request, reply) => controller.put(idOf(request), request.body, request, reply) },
  ];
}
