// Self time of a V8 .cpuprofile by area (npm package, node: module, or the dist/ folder of our code) and by
// function, as shares of all samples (idle included: subtract it for shares of the busy time). Ad hoc:
//   node bench/adhoc/cpuprofile-areas.mjs <file.cpuprofile> [how many functions, default 50]
import { readFileSync } from 'node:fs';
const [file, topArg] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const area = (url) => {
  if (!url) return '(native/vm)';
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1];
  if (url.startsWith('node:')) return url;
  const d = url.match(/dist\/(.*)$/);
  return d ? d[1].replace(/\/[^/]+$/, '') : url;
};
const fn = new Map(), ar = new Map();
for (const [id, t] of self) {
  const n = byId.get(id); const cf = n.callFrame;
  const key = `${cf.functionName || '(anon)'} ${cf.url.replace(/.*node_modules\//, '').replace(/.*dist\//, '')}:${cf.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + t);
  const a = cf.url ? area(cf.url) : cf.functionName;
  ar.set(a, (ar.get(a) ?? 0) + t);
}
const pct = (t) => ((100 * t) / total).toFixed(1).padStart(5) + '%';
console.log(`total ${(total / 1e6).toFixed(2)} s sampled`);
console.log('--- by area'); for (const [k, t] of [...ar].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(pct(t), k);
console.log('--- by function'); for (const [k, t] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 50))) console.log(pct(t), k);
