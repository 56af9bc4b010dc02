#!lua flags=allow-oom
--[[
  Deletes a workflow, its history, its checkpoints (a LangGraph thread's) and its index entries, and records the event; allowed when Redis is out of memory
  (it frees memory). Its idempotency key stays until the workflow would have expired (or the window ends), so a
  repeat is recognised.
  KEYS[1] rec  KEYS[2] idem  KEYS[3] idx  KEYS[4] exp  KEYS[5] lbl  KEYS[6] hist  KEYS[7] ev  KEYS[8] nt
  KEYS[9] own  KEYS[10] lsz  KEYS[11] cpg  KEYS[12] cpo   (see includes/common.lua, includes/checkpoints.lua)
  ARGV[1] id  ARGV[2] expected version ('' = any)  ARGV[3] request fingerprint ('' = no idempotency key)
  ARGV[4] idempotency window ms  ARGV[5] purge batch size
  ARGV[6] events retention ms (0 = no events)  ARGV[7] events kept per shard  ARGV[8] lease token ('' = none)
  Returns:
    { 1, deleted version }                    deleted
    { 2, outcome, version, record or false, created }  same key, same request: applied earlier
    { -6, outcome, version }                  same key, different request: nothing written
    { -2, current version }                   version mismatch, nothing written
    { -3 }                                    absent
    { -7, owner, lease expires ms }           leased, no token given: nothing written
    { -8, last token }                        not the live lease's token: nothing written
]]
-- @include common
local now = nowMs()
local replay = replayOf(KEYS[2], ARGV[3], KEYS[1], KEYS[6])
if replay then return replay end
local old = readHeader(KEYS[1])
if not old then return { -3 } end
local version = old.v
local refused = fence(readLease(KEYS[9], ARGV[1]), ARGV[8], now)
if refused then return refused end
if ARGV[2] ~= '' and version ~= tonumber(ARGV[2]) then return { -2, version } end

redis.call('DEL', KEYS[1], KEYS[6], KEYS[11], KEYS[12])
unindex(KEYS[3], KEYS[4], KEYS[5], ARGV[1])
dropLease(KEYS[9], KEYS[10], KEYS[3], ARGV[1])
rememberKey(KEYS[2], ARGV[3], 'D', version, old.c, now, tonumber(ARGV[4]), old.e)
local feed = feedOf(ARGV[6], ARGV[7])
recordEvent(KEYS[7], KEYS[8], feed, 'D', ARGV[1], version, old.t, old.s, now)
purge(KEYS[3], KEYS[4], KEYS[5], KEYS[7], KEYS[8], KEYS[9], KEYS[10], feed, now, tonumber(ARGV[5]))
return { 1, version }
