import type { z } from 'zod';
import { InvalidInputError } from '../errors/invalid-input.error.js';

/**
 * Parses with a zod schema and turns its issues into one `InvalidInputError`. Paths name the field as callers spell
 * it (`type`, `state.pages`, `limit`), never an internal variable; `root` names the value itself when the issue is
 * about all of it (`id`, `cursor`). Messages say what is allowed, in one voice ("is required", "must be at most 1000").
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, root: string): z.output<S> {
  // reportInput: the issues carry the value so the message can say what kind it was (its value is never repeated).
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  throw new InvalidInputError(result.error.issues.flatMap((issue) => issuesOf(issue, root)));
}

function issuesOf(issue: z.core.$ZodIssue, root: string): { path: string; message: string }[] {
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : root;
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: path === root ? key : `${path}.${key}`, message: 'is not a field of this request' }));
  }
  return [{ path, message: messageOf(issue) }];
}

/** zod's own wording ("Invalid input: expected string, received undefined"); a schema's own message is kept as it is. */
const ZOD_DEFAULT = /^(Invalid input|Too small|Too big)\b/;

function messageOf(issue: z.core.$ZodIssue): string {
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      if (issue.expected === 'int') return 'must be a whole number';
      return `must be ${article(issue.expected)}, not ${describe(issue.input)}`;
    case 'too_small':
      return issue.origin === 'number' || issue.origin === 'int' ? `must be at least ${String(issue.minimum)}` : issue.message;
    case 'too_big':
      return issue.origin === 'number' || issue.origin === 'int' ? `must be at most ${String(issue.maximum)}` : issue.message;
    default:
      return issue.message;
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
