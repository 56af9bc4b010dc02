import { InvalidInputError } from '../errors/invalid-input.error.js';
import { StateTooLargeError } from '../errors/state-too-large.error.js';

/** Serialises a state once, and refuses it when it cannot be JSON or is larger than the limit. */
export function serializeState(state: unknown, maxBytes: number): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(state);
  } catch (error) {
    throw new InvalidInputError([{ path: 'state', message: `is not serialisable as JSON: ${(error as Error).message}` }]);
  }
  if (json === undefined) throw new InvalidInputError([{ path: 'state', message: 'must be a JSON object' }]);
  // Length in UTF-16 units bounds the UTF-8 size from below, so the exact count is only needed near the limit.
  if (json.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > maxBytes) throw new StateTooLargeError(bytes, maxBytes);
  }
  return json;
}
