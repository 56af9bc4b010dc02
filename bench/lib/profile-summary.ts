// Where a server's CPU went: aggregates a V8 .cpuprofile (written by --cpu-prof, see profile-args.ts) by package
// and by function, self time, idle left out. Run: node dist/bench/lib/profile-summary.js <file.cpuprofile>
// [--top=25] [--from-ms=N] [--to-ms=N] [--inclusive=regex,...] (a window in ms from the profile's start, e.g. to
// leave the boot out; --inclusive: the time spent in and under frames whose function name or URL matches;
// --exclude=regex: leave out samples whose own frame matches, e.g. the socket writes, whose time is mostly the
// kernel's loopback and waiting for the CPU on a shared machine).
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The package a frame belongs to: an npm package, our app/lib, Node's internals, or V8's pseudo frames. */
export function categoryOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] ?? ''}`;
  const dist = /\/dist\/(apps\/[^/]+|libs\/[^/]+|bench)\//.exec(url);
  if (dist) return dist[1] ?? url;
  return url;
}

function frameName(frame: CallFrame): string {
  const file = frame.url.slice(frame.url.lastIndexOf('/') + 1);
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1} [${categoryOf(frame)}]`;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  byCategory: [string, number][];
  byFunction: [string, number][];
  inclusive: [string, number][];
}

export function summarise(profile: CpuProfile, fromMs = 0, toMs = Infinity, inclusive: RegExp[] = [], exclude?: RegExp): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    const ms = at / 1000;
    if (ms < fromMs || ms > toMs) continue;
    const id = profile.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  const category = new Map<string, number>();
  const fn = new Map<string, number>();
  const incl = new Map<string, number>(inclusive.map((r) => [r.source, 0]));
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id) as ProfileNode;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    if (exclude?.test(node.callFrame.functionName)) continue;
    total += us;
    const cat = categoryOf(node.callFrame);
    category.set(cat, (category.get(cat) ?? 0) + us);
    const name = frameName(node.callFrame);
    fn.set(name, (fn.get(name) ?? 0) + us);
    // Inclusive: each pattern counts a sample once, if any frame on its stack matches.
    for (const pattern of inclusive) {
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const frame = (byId.get(cur) as ProfileNode).callFrame;
        if (pattern.test(frame.functionName) || pattern.test(frame.url)) {
          incl.set(pattern.source, (incl.get(pattern.source) ?? 0) + us);
          break;
        }
      }
    }
  }
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / 1000]);
  return { totalMs: total / 1000, idleMs: idle / 1000, byCategory: sorted(category), byFunction: sorted(fn), inclusive: [...incl].map(([k, v]) => [k, v / 1000]) };
}

function main(argv: string[]): void {
  const file = argv.find((a) => !a.startsWith('--'));
  if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [--top=25] [--from-ms=N] [--to-ms=N] [--inclusive=regex,...] [--exclude=regex]');
  const option = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const top = Number(option('top') ?? 25);
  const inclusive = (option('inclusive') ?? '').split(',').filter(Boolean).map((source) => new RegExp(source));
  const excluded = option('exclude');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const s = summarise(profile, Number(option('from-ms') ?? 0), Number(option('to-ms') ?? Infinity), inclusive, excluded ? new RegExp(excluded) : undefined);
  const pct = (ms: number): string => `${((100 * ms) / s.totalMs).toFixed(1).padStart(5)} %`;
  const line = ([name, ms]: [string, number]): string => `${pct(ms)} ${ms.toFixed(0).padStart(7)} ms  ${name}`;
  const left = `idle ${s.idleMs.toFixed(0)} ms${excluded ? ` and frames matching ${excluded}` : ''} left out`;
  process.stdout.write(`busy ${s.totalMs.toFixed(0)} ms (${left})\n\nself time by package:\n`);
  process.stdout.write(`${s.byCategory.slice(0, top).map(line).join('\n')}\n\nself time by function:\n`);
  process.stdout.write(`${s.byFunction.slice(0, top).map(line).join('\n')}\n`);
  if (s.inclusive.length > 0) process.stdout.write(`\ninclusive (in or under a matching frame):\n${s.inclusive.map(line).join('\n')}\n`);
}

if (process.argv[1]?.endsWith('profile-summary.js')) main(process.argv.slice(2));
