import type { z } from 'zod';
import {
  createInputSchema,
  isJsonObject,
  LABEL_PATTERN,
  OPERATION_ID_PATTERN,
  patchSchema,
  saveInputSchema,
  WORKFLOW_ID_PATTERN,
  writeOptionsSchema,
} from '../workflow.schema.js';
import { validate } from './validate.js';

/** Whether a field's value (never undefined here) is one its schema accepts. */
type FieldCheck = (value: unknown) => boolean;
interface Field {
  key: string;
  check: FieldCheck;
  required: boolean;
}
/** The check of each field of the schema (whether it is required is read from the schema). */
type FieldChecks = Record<string, FieldCheck>;

const isLabel: FieldCheck = (v) => typeof v === 'string' && LABEL_PATTERN.test(v);
const isId: FieldCheck = (v) => typeof v === 'string' && WORKFLOW_ID_PATTERN.test(v);
const isOperationId: FieldCheck = (v) => typeof v === 'string' && OPERATION_ID_PATTERN.test(v);
// zod's `.int()` takes safe integers only, so these are at most Number.MAX_SAFE_INTEGER as well.
const isPositiveInteger: FieldCheck = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;

/**
 * A validator for one of the write inputs that settles the common, valid input without zod, and gives everything
 * else to zod (`validate`): its output or its error. The fast path only ever accepts: a plain object (`{}` literal
 * or JSON) whose own keys are all fields of the schema and whose values pass the same checks as the schema's; it
 * answers what zod would (a new object with the fields present, in the schema's order, undefined ones kept), which
 * write-input.spec.ts checks against zod on arbitrary input. zod's two parses (input and options) were 11 % of a
 * 1 KB `store.update`'s CPU (profile, 1 Dec) and about as much of an HTTP PUT.
 */
function fastValidator<S extends z.ZodObject>(schema: S, checks: FieldChecks): (value: unknown, root: string) => z.output<S> {
  // In the schema's own order (a `.pick()` has its mask's order), which is the order of zod's output.
  const shape = schema.shape as Record<string, z.ZodType>;
  const fields: Field[] = Object.entries(shape).map(([key, field]) => {
    const check = checks[key];
    if (check === undefined) throw new Error(`write-input: no check for field ${key}`);
    // Required is what the schema says: its field refuses undefined (not `.optional()`).
    return { key, check, required: !field.safeParse(undefined).success };
  });
  if (fields.length !== Object.keys(checks).length) throw new Error('write-input: a check for a field the schema does not have');
  const accept = (input: Record<string, unknown>): Record<string, unknown> | undefined => {
    const out: Record<string, unknown> = {};
    let present = 0;
    for (const { key, check, required } of fields) {
      if (!Object.hasOwn(input, key)) {
        if (required) return undefined;
        continue;
      }
      present += 1;
      const value = input[key];
      if (value === undefined ? required : !check(value)) return undefined;
      out[key] = value;
    }
    // A key that is no field of the schema: zod names it in its error.
    return present === Object.keys(input).length ? out : undefined;
  };
  return (value, root) => {
    if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
      const out = accept(value as Record<string, unknown>);
      if (out) return out as z.output<S>;
    }
    return validate(schema, value, root);
  };
}

export const validCreateInput = fastValidator(createInputSchema, { id: isId, type: isLabel, status: isLabel, state: isJsonObject, ttlSeconds: isPositiveInteger });
export const validSaveInput = fastValidator(saveInputSchema, { type: isLabel, status: isLabel, state: isJsonObject, ttlSeconds: isPositiveInteger });
export const validPatch = fastValidator(patchSchema, { type: isLabel, status: isLabel, state: isJsonObject });

// Derived schemas are built once: zod compiles a schema on its first parse, so a `.pick()` per call would
// rebuild and recompile it on every write (it was a fifth of the CPU of a 1 KB save).
export const createOptionsSchema = writeOptionsSchema.pick({ operationId: true });
export const conditionalOptionsSchema = writeOptionsSchema.pick({ operationId: true, expectedVersion: true, leaseToken: true });

export const validCreateOptions = fastValidator(createOptionsSchema, { operationId: isOperationId });
/** Options of save, update and delete. */
export const validConditionalOptions = fastValidator(conditionalOptionsSchema, {
  operationId: isOperationId,
  expectedVersion: isPositiveInteger,
  leaseToken: isPositiveInteger,
});
