#!lua flags=allow-oom
--[[
  Deletes a workflow and its index entries; allowed when Redis is out of memory (it frees memory).
  Its idempotency key stays until the workflow would have expired (or the window ends), so a repeat is recognised.
  KEYS[1] rec  KEYS[2] idem  KEYS[3] idx  KEYS[4] exp  KEYS[5] lbl   (see includes/common.lua)
  ARGV[1] id  ARGV[2] expected version ('' = any)  ARGV[3] request fingerprint ('' = no idempotency key)
  ARGV[4] idempotency window ms  ARGV[5] purge batch size
  Returns:
    { 1, deleted version }                    deleted
    { 2, outcome, version, record or false, created }  same key, same request: applied earlier
    { -6, outcome, version }                  same key, different request: nothing written
    { -2, current version }                   version mismatch, nothing written
    { -3 }                                    absent
]]
-- @include common
local now = nowMs()
local replay = replayOf(KEYS[2], ARGV[3], KEYS[1])
if replay then return replay end
local old = readHeader(KEYS[1])
if not old then return { -3 } end
local version = old.v
if ARGV[2] ~= '' and version ~= tonumber(ARGV[2]) then return { -2, version } end

redis.call('DEL', KEYS[1])
unindex(KEYS[3], KEYS[4], KEYS[5], ARGV[1])
rememberKey(KEYS[2], ARGV[3], 'D', version, old.c, now, tonumber(ARGV[4]), old.e)
purge(KEYS[3], KEYS[4], KEYS[5], now, tonumber(ARGV[5]))
return { 1, version }
