import { HttpException } from '@nestjs/common';
import { describe, expect, it } from '@jest/globals';
import { PROBLEM_BASE_URI, PROBLEM_TYPES, type ProblemType } from './problem-types.js';
import { toProblem } from './to-problem.js';

/** Every answer's status is its type's: a client switching on `type` never sees another status for it. */
describe('toProblem', () => {
  const typeOf = (body: { type: string }): ProblemType => body.type.slice(PROBLEM_BASE_URI.length) as ProblemType;

  it.each([400, 404, 405, 406, 408, 409, 413, 415, 418, 422, 429, 431, 451, 500, 502, 503])('gives an HttpException %i a type whose status it has', (status) => {
    const { body } = toProblem(new HttpException('refused', status), { conditional: false });
    expect(body.status).toBe(PROBLEM_TYPES[typeOf(body)].status);
  });

  it.each([
    ['FST_ERR_HEADER_TOO_LARGE', 431],
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400],
    ['FST_ERR_MAX_PARAM_LENGTH', 414],
    ['FST_ERR_SOMETHING_NEW', 408],
  ])('gives the Fastify error %s (%i) a type whose status it has', (code, statusCode) => {
    const { body } = toProblem(Object.assign(new Error('refused'), { code, statusCode }), { conditional: false });
    expect(body.status).toBe(PROBLEM_TYPES[typeOf(body)].status);
  });
});
