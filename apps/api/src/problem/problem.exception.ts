import type { ProblemType } from './problem-types.js';

/** Thrown by the HTTP layer for problems that are not store errors (412, 415, 428...). */
export class ProblemException extends Error {
  constructor(
    readonly problemType: ProblemType,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'ProblemException';
  }
}
