import type { SchemaObject } from '@nestjs/swagger';
import { z } from 'zod';
import { createInputSchema, listQuerySchema, patchSchema, restoreRecordSchema, saveInputSchema } from '#workflow-store';

/** OpenAPI schemas derived from the same zod schemas the store validates with, so the docs cannot drift. */
function toSchema(schema: z.ZodType): SchemaObject {
  // `state` is a z.custom (any JSON object): JSON Schema cannot express the check, so it is shown as an open object.
  return z.toJSONSchema(schema, { unrepresentable: 'any', target: 'draft-2020-12' }) as SchemaObject;
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
    properties: { items: { type: 'array', items: workflow }, nextCursor: { type: ['string', 'null'] } },
    required: ['items', 'nextCursor'],
  } satisfies SchemaObject,
  // The lease input is validated by the core with schemas its barrel does not export (shared/lease-input.ts): these
  // mirror them (owner: LEASE_OWNER_PATTERN; ttlMs: MIN_LEASE_TTL_MS – LEASE_MAX_TTL_MS).
  acquireLease: {
    type: 'object',
    properties: {
      owner: { type: 'string', pattern: '^[A-Za-z0-9_.:@/-]{1,128}$', description: 'Who holds the lease; told to others in a lease-held problem' },
      ttlMs: { type: 'integer', minimum: 100, description: 'How long the lease lasts unless renewed, in ms: 100 to LEASE_MAX_TTL_MS (600000 by default)' },
    },
    required: ['owner', 'ttlMs'],
    additionalProperties: false,
  } satisfies SchemaObject,
  renewLease: {
    type: 'object',
    properties: { ttlMs: { type: 'integer', minimum: 100, description: 'The lease lasts this long from now, in ms: 100 to LEASE_MAX_TTL_MS' } },
    required: ['ttlMs'],
    additionalProperties: false,
  } satisfies SchemaObject,
  lease: {
    type: 'object',
    properties: {
      id: { type: 'string', description: "The workflow's id" },
      token: {
        type: 'integer',
        format: 'int64',
        description:
          'The fencing token: greater than every token issued for this workflow before, never reused (about 1.8e15, below 2^53, so exact as a JSON number). Send it as Lease-Token with every write while the lease lives',
      },
      owner: { type: 'string' },
      expiresAt: { type: 'string', format: 'date-time', description: 'When the lease ends unless renewed (the store clock)' },
    },
    required: ['id', 'token', 'owner', 'expiresAt'],
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
      op: {
        type: 'string',
        enum: ['created', 'updated', 'deleted', 'touched', 'restored', 'expired', 'lease-acquired', 'lease-released', 'lease-expired'],
        description: 'lease-expired: a lease ended without release (the workflow is stalled, see GET /workflows?stalled=true)',
      },
      version: { type: 'integer', description: 'The version the write left (deleted, expired: the last version)' },
      type: { type: 'string' },
      status: { type: 'string' },
      at: { type: 'string', format: 'date-time', description: "When it was recorded (the store's clock)" },
      tenant: { type: 'string' },
      lease: {
        type: 'object',
        description: 'Lease events only: the lease acquired, released or expired',
        properties: { token: { type: 'integer', format: 'int64' }, owner: { type: 'string' } },
        required: ['token', 'owner'],
      },
    },
    required: ['eventId', 'id', 'op', 'version', 'type', 'status', 'at', 'tenant'],
  } satisfies SchemaObject,
};
