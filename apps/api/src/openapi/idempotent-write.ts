import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import { CURRENT_VERSION_HEADER, REPLAYED_HEADER } from '../workflows/idempotent-replay.js';
import { PROBLEM_SCHEMA } from './problem-responses.js';

const IDEMPOTENCY_KEY_DESCRIPTION =
  'Makes the write safe to retry. Keys are scoped to the workflow the write targets. Re-sent with the same key and ' +
  'the same request (kind of write, id, state, type, status, ttlSeconds, If-Match) within IDEMPOTENCY_TTL ' +
  'seconds and while the workflow lives, the write is not applied again: the answer repeats the original status and ' +
  'ETag, with Idempotent-Replayed: true. Its body is the workflow as the original write left it (the version of the ' +
  'ETag) while the history (WORKFLOW_HISTORY_VERSIONS) still keeps that version, otherwise the workflow as stored ' +
  'now; when it has been written since, Workflow-Current-Version says the version stored now. The same key with a different request is ' +
  '422 idempotency-key-reused and changes nothing. A POST /workflows without an id derives the id from the key, so ' +
  'its retry answers with the workflow the first attempt created. Failed writes are not remembered.';

/** The headers a replayed write adds to its answer. */
const REPLAY_RESPONSE_HEADERS = {
  [REPLAYED_HEADER]: {
    description: 'Present (true) only when the write repeated an earlier one with the same Idempotency-Key and was not applied again',
    schema: { type: 'string', enum: ['true'] },
  },
  [CURRENT_VERSION_HEADER]: {
    description:
      'On a replay whose workflow was written since the original write: the version stored now, newer than the ETag. The body is ' +
      'the version of the ETag while the history keeps it, otherwise this version',
    schema: { type: 'integer' },
  },
};

/** The headers of a delete's answer: no ETag (nothing is left to tag), no body. */
export const DELETE_RESPONSE_HEADERS = {
  [REPLAYED_HEADER]: REPLAY_RESPONSE_HEADERS[REPLAYED_HEADER],
  [CURRENT_VERSION_HEADER]: {
    description: 'On a replay of a delete after a workflow was created again under the id: the version that exists now',
    schema: { type: 'integer' },
  },
};

/** The headers of a successful write's answer that carries the workflow. */
export const WRITE_RESPONSE_HEADERS = {
  ETag: { description: 'The version, as a strong entity tag; on a replay the version the original write produced', schema: { type: 'string' } },
  ...REPLAY_RESPONSE_HEADERS,
};

/** Writes only: the Idempotency-Key request header and the 422 of a key reused for another request. */
export function ApiIdempotentWrite(): MethodDecorator {
  return applyDecorators(
    ApiHeader({ name: 'Idempotency-Key', required: false, description: IDEMPOTENCY_KEY_DESCRIPTION, schema: { type: 'string', pattern: '^[A-Za-z0-9_.~-]{1,128}$' } }),
    ApiResponse({
      status: 422,
      description: 'idempotency-key-reused: the Idempotency-Key was used for a different request on this workflow; nothing was written, use a new key',
      content: { 'application/problem+json': { schema: PROBLEM_SCHEMA } },
    }),
  );
}
