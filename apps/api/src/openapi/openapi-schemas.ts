import type { SchemaObject } from '@nestjs/swagger';
import { z } from 'zod';
import { createInputSchema, listQuerySchema, patchSchema, restoreRecordSchema, saveInputSchema } from '#workflow-store';

/** OpenAPI schemas derived from the same zod schemas the store validates with, so the docs cannot drift. */
function toSchema(schema: z.ZodType): SchemaObject {
  // `state` is a z.custom (any JSON object): JSON Schema cannot express the check, so it is shown as an open object.
  return z.toJSONSchema(schema, { unrepresentable: 'any', target: 'openapi-3.0' }) as SchemaObject;
}

const workflow = toSchema(restoreRecordSchema);

export const openApiSchemas = {
  createInput: toSchema(createInputSchema),
  saveInput: toSchema(saveInputSchema),
  patch: toSchema(patchSchema),
  listQuery: toSchema(listQuerySchema),
  workflow,
  listPage: {
    type: 'object',
    properties: { items: { type: 'array', items: workflow }, nextCursor: { type: 'string', nullable: true } },
    required: ['items', 'nextCursor'],
  } satisfies SchemaObject,
  // The history and the events are not validated input (the store produces them), so they have no zod schema to
  // derive from; these mirror WorkflowHistory and WorkflowEvent in the core's types.
  workflowHistory: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      currentVersion: { type: 'integer', minimum: 1 },
      oldestVersion: { type: 'integer', minimum: 1, description: 'The oldest version GET /workflows/{id}/versions/{version} can still return' },
      versions: {
        type: 'array',
        description: 'Newest first, the current version included',
        items: {
          type: 'object',
          properties: {
            version: { type: 'integer', minimum: 1 },
            type: { type: 'string' },
            status: { type: 'string' },
            updatedAt: { type: 'string', format: 'date-time', description: 'When this version was written' },
          },
          required: ['version', 'type', 'status', 'updatedAt'],
        },
      },
    },
    required: ['id', 'currentVersion', 'oldestVersion', 'versions'],
  } satisfies SchemaObject,
  workflowEvent: {
    type: 'object',
    properties: {
      eventId: { type: 'string', pattern: '^\\d+-\\d+-\\d+$', description: '<ms>-<seq>-<shard>: the position in the feed; also the SSE id' },
      id: { type: 'string', description: "The workflow's id" },
      op: { type: 'string', enum: ['created', 'updated', 'deleted', 'touched', 'restored', 'expired'] },
      version: { type: 'integer', description: 'The version the write left (deleted, expired: the last version)' },
      type: { type: 'string' },
      status: { type: 'string' },
      at: { type: 'string', format: 'date-time', description: "When it was recorded (the store's clock)" },
      tenant: { type: 'string' },
    },
    required: ['eventId', 'id', 'op', 'version', 'type', 'status', 'at', 'tenant'],
  } satisfies SchemaObject,
};
