import type { z } from 'zod';
import { InvalidInputError } from '../errors/invalid-input.error.js';

/** Parses with a zod schema and turns its issues into one `InvalidInputError` with field paths. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, root: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InvalidInputError(
    result.error.issues.map((issue) => ({
      path: [root, ...issue.path.map(String)].filter(Boolean).join('.'),
      message: issue.message,
    })),
  );
}
