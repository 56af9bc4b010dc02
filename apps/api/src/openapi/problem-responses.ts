import { applyDecorators } from '@nestjs/common';
import { ApiResponse, type SchemaObject } from '@nestjs/swagger';

/** An RFC 9457 problem as every error leaves the API. Extensions (currentVersion, oldestVersion, errors) vary by type. */
export const PROBLEM_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    type: { type: 'string', example: 'urn:workflow-store:problem:not-found' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
  },
  required: ['type', 'title', 'status', 'detail'],
  additionalProperties: true,
};

/** Documents problem answers: `[status, description]` pairs, each an application/problem+json body. */
export function ApiProblems(...problems: [status: number, description: string][]): MethodDecorator {
  return applyDecorators(
    ...problems.map(([status, description]) => ApiResponse({ status, description, content: { 'application/problem+json': { schema: PROBLEM_SCHEMA } } })),
  );
}

/** The problems every authenticated read can answer. */
export const READ_PROBLEMS: [number, string][] = [
  [401, 'unauthorized: missing, unknown or revoked API key'],
  [403, 'forbidden: the key has no read role'],
  [429, 'rate-limited: more than RATE_LIMIT_PER_MINUTE requests a minute with this key'],
  [503, 'store-unavailable (the store cannot be reached) or shutting-down; Retry-After says when to retry'],
];

/** The problems every authenticated write can answer, besides its own. */
export const WRITE_PROBLEMS: [number, string][] = [
  [401, 'unauthorized: missing, unknown or revoked API key'],
  [403, 'forbidden: the key has no write role'],
  [415, 'unsupported-media-type: a body that is not application/json'],
  [429, 'rate-limited: more than RATE_LIMIT_PER_MINUTE requests a minute with this key'],
  [
    503,
    'store-unavailable (nothing was written), outcome-unknown (the write may have been applied) or shutting-down; Retry-After says when to retry',
  ],
  [507, 'storage-full: the store is out of memory; nothing was written'],
];
