#!lua flags=allow-oom
--[[
  Deletes a workflow and its index entries; allowed when Redis is out of memory (it frees memory).
  The operation log stays until the workflow would have expired,
  so a repeated delete is recognised.
  KEYS[1] rec  KEYS[2] ops  KEYS[3] idx  KEYS[4] exp  KEYS[5] lbl   (see includes/common.lua)
  ARGV[1] id  ARGV[2] expected version ('' = any)  ARGV[3] operation id ('' = none)
  ARGV[4] max operations kept  ARGV[5] purge batch size
  Returns:
    { 1, deleted version }    deleted
    { 2, recorded result }    operation already applied
    { -2, current version }   version mismatch, nothing written
    { -3 }                    absent
]]
-- @include common
local now = nowMs()
local maxOps, purgeLimit = tonumber(ARGV[4]), tonumber(ARGV[5])
local replay = findOp(KEYS[2], ARGV[3])
if replay then return { 2, replay } end
local old = readHeader(KEYS[1])
if not old then return { -3 } end
local version = old.v
if ARGV[2] ~= '' and version ~= tonumber(ARGV[2]) then return { -2, version } end

redis.call('DEL', KEYS[1])
unindex(KEYS[3], KEYS[4], KEYS[5], ARGV[1])
keepOps(KEYS[2], ARGV[3], 'D', maxOps, old.e)
purge(KEYS[3], KEYS[4], KEYS[5], now, purgeLimit)
return { 1, version }
