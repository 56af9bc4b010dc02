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
};
