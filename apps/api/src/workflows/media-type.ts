import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../problem/problem.exception.js';

/** Refuses a body of another media type with 415 (a missing body is left to validation, which says what is needed). */
export function requireMediaType(request: FastifyRequest, expected: string): void {
  const header = request.headers['content-type'];
  if (header === undefined || header === expected) return; // the usual header, answered without parsing it
  const mediaType = header.split(';', 1)[0]?.trim().toLowerCase();
  if (mediaType !== expected) {
    throw new ProblemException('unsupported-media-type', `This route takes ${expected}, not ${mediaType ?? 'nothing'}`);
  }
}
