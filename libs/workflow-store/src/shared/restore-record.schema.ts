import { z } from 'zod';
import { labelSchema, stateSchema, ttlSecondsSchema, versionSchema, workflowIdSchema } from '../workflow.schema.js';

const isoTime = z.iso.datetime({ message: 'must be an ISO-8601 UTC time' });

/** A complete record as export/import and snapshots carry it. */
export const restoreRecordSchema = z.strictObject({
  id: workflowIdSchema,
  type: labelSchema,
  status: labelSchema,
  state: stateSchema,
  version: versionSchema,
  createdAt: isoTime,
  updatedAt: isoTime,
  expiresAt: isoTime,
  ttlSeconds: ttlSecondsSchema,
});
