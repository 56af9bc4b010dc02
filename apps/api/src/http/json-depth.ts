/** Deepest nesting of arrays and objects a JSON body may have: deep enough for any document, far from a stack overflow. */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether the JSON text nests arrays/objects deeper than `max`, found by one scan of the text before it is parsed
 * (a parse, a prototype check, a merge patch or a stringify of a 100 000-deep body would each recurse that deep).
 * Brackets inside strings are skipped; the text need not be valid JSON (the parser judges that).
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}
