// Where a save-12 update's Redis time goes: runs variants of the script (single parts cut out by text patches) on a
// redis-server of its own and reads EVALSHA's usec_per_call from INFO commandstats. Ad-hoc tool, not part of
// `npm run bench`; run it under the bench lock:
//   flock /tmp/bench.lock node bench/lua/save-parts.mjs [--size=1024] [--calls=3000] [--rounds=3] [--only=a,b]
//     [--ref=<git rev>]  also runs save-12 as it is at that revision ("ref") against the working tree ("full")
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const SIZE = Number(args.size ?? 1024);
const CALLS = Number(args.calls ?? 3000);
const ROUNDS = Number(args.rounds ?? 3);
const SHARDS = 64;
const IN_FLIGHT = 64;
const root = new URL('../../', import.meta.url).pathname;
const luaDir = join(root, 'libs/workflow-store/src/redis/lua');

function assemble(text, includeText) {
  return text.replace(/^-- @include (\S+)$/gm, (_, inc) => includeText(inc));
}
const fromTree = (file) => assemble(readFileSync(join(luaDir, file), 'utf8'), (inc) => readFileSync(join(luaDir, 'includes', `${inc}.lua`), 'utf8'));
const fromRev = (rev, file) => {
  const show = (p) => execFileSync('git', ['-C', root, 'show', `${rev}:libs/workflow-store/src/redis/lua/${p}`], { encoding: 'utf8' });
  return assemble(show(file), (inc) => show(`includes/${inc}.lua`));
};

/** A library of one function `wfs_save` whose body is the script's, its includes at library level (loaded once). */
function asLibrary(text) {
  const includes = [];
  const body = text.replace(/^#!lua.*\n/, '').replace(/^-- @include (\S+)$/gm, (_, inc) => {
    includes.push(readFileSync(join(luaDir, 'includes', `${inc}.lua`), 'utf8'));
    return '';
  });
  return { library: `#!lua name=h3bench\n${includes.join('\n')}\nredis.register_function('wfs_save', function(KEYS, ARGV)\n${body}\nend)\n` };
}

/** Replaces `from` (must occur) in the script by `to`. */
function patch(lua, pairs) {
  let out = lua;
  for (const [from, to] of pairs) {
    if (!out.includes(from)) throw new Error(`patch target not found: ${from}`);
    out = out.split(from).join(to);
  }
  return out;
}

// The script broken down: the working tree's, or --base=<rev>'s.
const full = args.base ? fromRev(args.base, 'save-12.lua') : fromTree('save-12.lua');
const create = fromTree('create-12.lua');
/** The script cut short right after the first line starting with `marker` (it returns what the client needs). */
function cutAfter(lua, marker, reply = '{ 1, version }') {
  const at = lua.indexOf(`\n${marker}`);
  if (at < 0) throw new Error(`cut marker not found: ${marker}`);
  const eol = lua.indexOf('\n', at + 1);
  return `${lua.slice(0, eol + 1)}do return ${reply} end\n${lua.slice(eol + 1)}`;
}
// Cumulative cuts (each includes everything before it), so their differences are what each stretch costs.
const cuts = [
  ['1 TIME', 'local now = nowMs()', '1'],
  ['2 + GET rec, parse header', "  if oldRecord then old = parseHeader", '1'],
  ['3 + lease HGET, fence, expected check', 'if ARGV[6] ~= ', '1'],
  ['4 + labels/ttl/version (no call)', 'local feed = feedOf', '1'],
  ['5 + history (HSET HDEL HLEN PEXPIREAT)', 'if oldRecord then', '1'],
  ['6 + state pick, SET rec', 'writeRecord(KEYS[1]', undefined],
  ['7 + cpFollow (2 PEXPIREAT)', 'cpFollow(KEYS[11]', undefined],
  ['8 + reindex (HGET HSET lbl, ZADD exp, PEXPIRETIME)', 'reindex(KEYS[3]', undefined],
  ['9 + rememberKey, afterWrite (no calls here)', 'afterWrite(KEYS[9]', undefined],
  ['10 + event (XADD XTRIM PEXPIRE SPUBLISH)', 'recordEvent(KEYS[7]', undefined],
];
const variants = {
  'empty script (12 keys, 17 args)': 'return 1',
  '0 functions defined, then return': patch(full, [['local now = nowMs()', 'do return 1 end\nlocal now = nowMs()']]),
};
for (const [name, marker, reply] of cuts) {
  if (args.compare) break;
  // Cuts before the history's `end` need the block closed: cut at statement level only.
  variants[name] = marker === 'if oldRecord then' ? patch(full, [['if oldRecord then\n  keepVersion', 'if oldRecord then\n  keepVersion(KEYS[6], keep, version - 1, oldRecord, expireAt)\n  do return 1 end\n  --']])
    : marker.startsWith('  if oldRecord then old') ? patch(full, [['  if oldRecord then old = parseHeader(oldRecord, KEYS[1]) end\n', '  if oldRecord then old = parseHeader(oldRecord, KEYS[1]) end\n  do return 1 end\n']])
    : cutAfter(full, marker, reply);
}
if (args.compare) {
  for (const k of Object.keys(variants)) delete variants[k];
  const file = args.script === 'create' ? 'create-12.lua' : 'save-12.lua';
  variants.ref = fromRev(args.compare, file);
  variants.tree = fromTree(file);
  // The same script as a Redis Function (FCALL): the helpers are defined once when the library loads, not per call.
  if (args.script !== 'create') variants['tree as FUNCTION (fcall)'] = asLibrary(readFileSync(join(luaDir, file), 'utf8'));
  if (args.variants) {
    variants['tree - purge'] = patch(variants.tree, [['purge(KEYS[3], KEYS[4], KEYS[5], KEYS[7], KEYS[8], KEYS[9], KEYS[10], feed, now, tonumber(ARGV[9]))\nreturn', 'return']]);
    variants['tree purge via ZCOUNT first'] = patch(variants.tree, [["  local expired = redis.call('ZRANGE', expKey, '-inf', now, 'BYSCORE', 'LIMIT', 0, limit)", "  if redis.call('ZCOUNT', expKey, '-inf', now) == 0 then return 0 end\n  local expired = redis.call('ZRANGE', expKey, '-inf', now, 'BYSCORE', 'LIMIT', 0, limit)"]]);
    variants['tree - XTRIM'] = patch(variants.tree, [["  redis.call('XTRIM', evKey, 'MINID', '~', now - feed.retentionMs)\n", '']]);
    variants['tree - PEXPIRE ev'] = patch(variants.tree, [["  redis.call('PEXPIRE', evKey, feed.retentionMs)\n", '']]);
  }
  variants['ref again'] = variants.ref;
  variants['tree again'] = variants.tree;
} else try {
variants['11 full (+ purge ZRANGE)'] = full;
variants['6a 5 + oldState sub only'] = cutAfter(full, 'local oldState', '1');
variants['6b 5 + state, header concat, no SET'] = patch(cutAfter(full, 'writeRecord(KEYS[1]', '1'), [["writeRecord(KEYS[1], headerOf(version, created, now, expireAt, ttl, wtype, status), state, expireAt)\ndo return", "local _x = headerOf(version, created, now, expireAt, ttl, wtype, status) .. state\ndo return"]]);
variants['6c 5 + SET without oldState'] = patch(cutAfter(full, 'writeRecord(KEYS[1]', undefined), [["local oldState = oldRecord and string.sub(oldRecord, string.find(oldRecord, '\\n', 1, true) + 1) or '{}'", "local oldState = '{}'"]]);
variants['6d 5 + SET without PXAT'] = patch(cutAfter(full, 'writeRecord(KEYS[1]', undefined), [["redis.call('SET', recKey, header .. stateJson, 'PXAT', expireAt)", "redis.call('SET', recKey, header .. stateJson)"]]);
variants.full = full;
variants['- history (keepVersion)'] = patch(full, [["  keepVersion(KEYS[6], keep, version - 1, oldRecord, expireAt)\n", '']]);
} catch (e) { console.error(`some variants skipped: ${e.message}`); }
const only = args.only ? args.only.split(',') : null;
const chosen = Object.keys(variants).filter((n) => !only || only.some((o) => n.includes(o)));

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The main thread's CPU µs so far (user + sys). */
function mainCpu(info) {
  const f = (k) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)[1]);
  return (f('used_cpu_user_main_thread') + f('used_cpu_sys_main_thread')) * 1e6;
}

function commandstat(info, name) {
  const m = new RegExp(`cmdstat_${name}:calls=(\\d+),usec=(\\d+)`).exec(info);
  return m ? { calls: Number(m[1]), usec: Number(m[2]) } : { calls: 0, usec: 0 };
}

const port = await freePort();
const server = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], { stdio: 'ignore' });
const redis = new Redis({ port, lazyConnect: true });
redis.on('error', () => {}); // connect attempts before the server listens
try {
  for (let i = 0; ; i++) {
    try { await redis.connect(); break; } catch (e) { if (i > 50) throw e; await new Promise((r) => setTimeout(r, 100)); }
  }
  const state = JSON.stringify({ data: 'x'.repeat(SIZE - 12) });
  const keysOf = (id, shard) => {
    const t = `capu:{default:64:${shard}:abc}`;
    return [`${t}:w:${id}`, `${t}:k`, `${t}:i`, `${t}:e`, `${t}:l`, `${t}:h:${id}`, `${t}:x`, `${t}:n`, `${t}:o`, `${t}:q`, `${t}:c:${id}`, `${t}:d:${id}`];
  };
  const saveArgs = (id, expected) => [id, '', '', state, '', String(expected), '', 86400000, 16, 'default', 'active', 86400, 86400000, 10000, 10, '', 0];
  const createArgs = (id) => [id, 'invoice', 'active', state, 86400, '', 86400000, 16, 86400000, 10000, 0];

  const results = {};
  const cpuResults = {};
  for (let round = 0; round < ROUNDS; round++) {
    // Rotated each round, so no variant always runs first (or right after the heaviest).
    const order = chosen.map((_, i) => chosen[(i + round) % chosen.length]);
    for (const name of order) {
      await redis.flushall();
      // 64 workflows, one per shard (as the capacity bench's 64 in flight), at steady state: history full, feed long.
      const items = Array.from({ length: IN_FLIGHT }, (_, i) => ({ id: randomUUID(), keys: keysOf(randomUUID(), i % SHARDS), v: 1 }));
      for (const it of items) {
        it.keys = keysOf(it.id, items.indexOf(it) % SHARDS);
        await redis.eval(create, 12, ...it.keys, ...createArgs(it.id));
      }
      const lib = typeof variants[name] === 'object' ? variants[name].library : undefined;
      if (lib) await redis.function('LOAD', 'REPLACE', lib);
      const sha = lib ? undefined : await redis.script('LOAD', variants[name]);
      const run = (keys, argv) => (lib ? redis.call('FCALL', 'wfs_save', 12, ...keys, ...argv) : redis.evalsha(sha, 12, ...keys, ...argv));
      const fullSha = await redis.script('LOAD', full);
      // Warm-up with the full script: history at 10 versions, some events per shard.
      await Promise.all(items.map(async (it) => {
        for (let k = 0; k < 12; k++) {
          const r = await redis.evalsha(fullSha, 12, ...it.keys, ...saveArgs(it.id, it.v));
          if (r[0] !== 1) throw new Error(`warm-up refused: ${r}`);
          it.v = r[1];
        }
      }));
      await redis.config('RESETSTAT');
      const cpu0 = mainCpu(await redis.info('cpu'));
      const per = Math.ceil(CALLS / IN_FLIGHT);
      await Promise.all(items.map(async (it) => {
        for (let k = 0; k < per; k++) {
          if (args.script === 'create') {
            const id = randomUUID();
            await redis.evalsha(sha, 12, ...keysOf(id, items.indexOf(it) % SHARDS), ...createArgs(id));
            continue;
          }
          const r = await run(it.keys, saveArgs(it.id, it.v));
          if (Array.isArray(r) && r[0] === 1) it.v = r[1];
          else if (Array.isArray(r)) throw new Error(`${name}: refused ${r}`);
        }
      }));
      const st = commandstat(await redis.info('commandstats'), lib ? 'fcall' : 'evalsha');
      (results[name] ??= []).push(st.usec / st.calls);
      (cpuResults[name] ??= []).push((mainCpu(await redis.info('cpu')) - cpu0) / st.calls);
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = results.full ? med(results.full) : undefined;
  const min = (xs) => Math.min(...xs);
  const cpuBase = results.full ? min(cpuResults.full) : undefined;
  console.log(`state ${SIZE} B, ${CALLS} calls x ${ROUNDS} rounds; EVALSHA usec_per_call (commandstats: median, min) and Redis main-thread CPU µs per call (min)`);
  console.log('| variant | commandstats median | min | runs | CPU µs/call min | Δ CPU vs full |');
  console.log('|---|--:|--:|---|--:|--:|');
  for (const name of chosen) {
    const c = min(cpuResults[name]);
    console.log(`| ${name} | ${med(results[name]).toFixed(1)} | ${min(results[name]).toFixed(1)} | ${results[name].map((x) => x.toFixed(1)).join(' ')} | ${c.toFixed(1)} | ${cpuBase !== undefined ? (c - cpuBase).toFixed(1) : ''} |`);
  }
} finally {
  await redis.quit().catch(() => redis.disconnect());
  server.kill('SIGTERM');
  await new Promise((r) => (server.exitCode !== null ? r() : server.once('exit', r)));
}
