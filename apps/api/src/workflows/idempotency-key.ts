import { OPERATION_ID_PATTERN } from '#workflow-store';
import { ProblemException } from '../problem/problem.exception.js';

/** The Idempotency-Key header becomes the store's operation id: same charset, same length limit. */
export function operationIdFrom(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header) || !OPERATION_ID_PATTERN.test(header)) {
    throw new ProblemException('invalid-input', 'Idempotency-Key must be one value of 1-128 characters of A-Z a-z 0-9 _ . ~ -');
  }
  return header;
}
