import { z } from 'zod';

/** Ids: a safe charset so no id can carry `*`, `?`, `[`, `{`, `}`, `:` or whitespace into keys, patterns or URLs. */
export const WORKFLOW_ID_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;
/** `type` and `status` end up in index entries, so they get the same treatment. */
export const LABEL_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;
/** Tenants become a key segment (`<prefix>:<tenant>:…`) and an `API_KEYS` field, so no `:` and the id charset. */
export const TENANT_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,31}$/;
/** The tenant of every request when the API runs without keys, and of the CLI unless `--tenant` says otherwise. */
export const DEFAULT_TENANT = 'default';
/** Operation ids are stored in a `|`/`=` separated log, so neither may appear in them. */
export const OPERATION_ID_PATTERN = /^[A-Za-z0-9_.~-]{1,128}$/;

export const DEFAULT_STATUS = 'created';
export const DEFAULT_TYPE = 'default';
export const MAX_LIST_LIMIT = 1000;
export const DEFAULT_LIST_LIMIT = 100;

export const workflowIdSchema = z
  .string()
  .regex(WORKFLOW_ID_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 _ . - and not start with "."');
export const labelSchema = z
  .string()
  .regex(LABEL_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 _ . - and not start with "."');
export const tenantSchema = z
  .string()
  .regex(TENANT_PATTERN, 'must be 1-32 characters of A-Z a-z 0-9 _ . - and not start with "."');
export const operationIdSchema = z.string().regex(OPERATION_ID_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 _ . ~ -');
export const versionSchema = z.number().int('must be an integer').min(1, 'must be at least 1');
export const ttlSecondsSchema = z.number().int('must be a whole number of seconds').min(1, 'must be at least 1 second');

/** A JSON object (not an array, not null). Its members are checked by serialisation, not here: that is one pass, not two. */
export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
export const stateSchema = z.custom<Record<string, unknown>>(isJsonObject, 'must be a JSON object');

export const createInputSchema = z.strictObject({
  id: workflowIdSchema.optional(),
  type: labelSchema,
  status: labelSchema.optional(),
  state: stateSchema,
  ttlSeconds: ttlSecondsSchema.optional(),
});

export const saveInputSchema = z.strictObject({
  type: labelSchema.optional(),
  status: labelSchema.optional(),
  state: stateSchema,
  ttlSeconds: ttlSecondsSchema.optional(),
});

/** Merge patch over the writable fields; anything else (id, version, timestamps) is refused. */
export const patchSchema = z.strictObject({
  type: labelSchema.optional(),
  status: labelSchema.optional(),
  state: stateSchema.optional(),
});

/** A lease token: a positive integer the store issued (see acquireLease). */
export const leaseTokenSchema = z.number().int('must be an integer').min(1, 'must be at least 1').max(Number.MAX_SAFE_INTEGER, 'must be a safe integer');
export const LEASE_OWNER_PATTERN = /^[A-Za-z0-9_.:@\/-]{1,128}$/;
export const leaseOwnerSchema = z.string().regex(LEASE_OWNER_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 _ . : @ / -');

export const writeOptionsSchema = z.strictObject({
  operationId: operationIdSchema.optional(),
  leaseToken: leaseTokenSchema.optional(),
  expectedVersion: versionSchema.optional(),
  ttlSeconds: ttlSecondsSchema.optional(),
  maxAttempts: z.number().int().min(1).max(100).optional(),
});

export const listQuerySchema = z.strictObject({
  type: labelSchema.optional(),
  status: labelSchema.optional(),
  stalled: z.literal(true, { message: 'must be true (omit it for every workflow)' }).optional(),
  limit: z.number().int().min(1).max(MAX_LIST_LIMIT).optional(),
  cursor: z.string().max(1024).optional(),
}).refine((query) => !(query.stalled && (query.type !== undefined || query.status !== undefined)), {
  message: 'cannot be combined with type or status',
  path: ['stalled'],
});
