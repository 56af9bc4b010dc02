import type { JsonObject, JsonValue } from '../workflow.types.js';

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * RFC 7396 JSON Merge Patch: objects merge member by member, `null` removes a member, anything else (arrays
 * included) replaces. Returns a new value; `target` is not modified.
 *
 * Keys are read with `Object.hasOwn` and written with `defineProperty`, so a `__proto__` member is stored as
 * plain data and never reaches an object's prototype.
 */
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return patch;
  const result: JsonObject = {};
  if (isObject(target)) {
    for (const key of Object.keys(target)) define(result, key, target[key] as JsonValue);
  }
  for (const key of Object.keys(patch)) {
    const value = patch[key] as JsonValue;
    if (value === null) {
      delete result[key];
    } else {
      const current = Object.hasOwn(result, key) ? result[key] : undefined;
      define(result, key, applyMergePatch(current, value));
    }
  }
  return result;
}

function define(object: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}
