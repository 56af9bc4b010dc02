// The API's nesting check of a JSON body: scanning the text for brackets (before 1 Dec, third session) against
// walking the parsed value (now, apps/api/src/http/json-depth.ts), and JSON.parse itself for scale, on the bench's
// 1 KB and 32 KB bodies. ns per call, 20 000 calls, 3 rounds. Ad hoc, not part of `npm run bench`; after a build:
//   node bench/adhoc/json-depth-micro.mjs
import { makeState } from '../../dist/bench/lib/documents.js';
import { nestsDeeperThan } from '../../dist/apps/api/src/http/json-depth.js';

/** The text scan as it was (brackets inside strings skipped). */
function textNestsDeeperThan(text, max) {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

const CALLS = 20_000;
const nsPerCall = (fn) => {
  const t = performance.now();
  for (let i = 0; i < CALLS; i++) fn();
  return (((performance.now() - t) * 1e6) / CALLS).toFixed(0);
};
for (const size of [1024, 32768]) {
  const text = JSON.stringify({ state: makeState(size) });
  const value = JSON.parse(text);
  for (let round = 0; round < 3; round++) {
    const scan = nsPerCall(() => textNestsDeeperThan(text, 64));
    const walk = nsPerCall(() => nestsDeeperThan(value, 64));
    const parse = nsPerCall(() => JSON.parse(text));
    console.log(`${size} B body: text scan ${scan} ns, walk of the parsed value ${walk} ns, JSON.parse ${parse} ns`);
  }
}
