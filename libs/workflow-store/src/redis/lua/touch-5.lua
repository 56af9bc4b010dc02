#!lua
--[[
  Restarts a workflow's TTL without changing its state, version or updatedAt.
  KEYS[1] rec  KEYS[2] ops  KEYS[3] idx  KEYS[4] exp  KEYS[5] lbl   (see includes/common.lua)
  ARGV[1] id  ARGV[2] ttl seconds ('' = the workflow's own)  ARGV[3] operation id ('' = none)
  ARGV[4] max operations kept  ARGV[5] purge batch size
  Returns:
    { 1, field, value, ... }  touched: the whole record as HGETALL gives it
    { 2, recorded result }    operation already applied
    { -3 }                    absent
]]
-- @include common
local now = nowMs()
local maxOps, purgeLimit = tonumber(ARGV[4]), tonumber(ARGV[5])
local replay = findOp(KEYS[2], ARGV[3])
if replay then return { 2, replay } end
local old = redis.call('HMGET', KEYS[1], 'v', 't', 's', 'l')
if not old[1] then return { -3 } end

local ttl = tonumber(ARGV[2] ~= '' and ARGV[2] or old[4])
local expireAt = now + ttl * 1000
redis.call('HSET', KEYS[1], 'e', expireAt, 'l', ttl)
redis.call('PEXPIREAT', KEYS[1], expireAt)
reindex(KEYS[3], KEYS[4], KEYS[5], ARGV[1], old[2], old[3], expireAt)
keepOps(KEYS[2], ARGV[3], 'T', maxOps, expireAt)
purge(KEYS[3], KEYS[4], KEYS[5], now, purgeLimit)
local reply = redis.call('HGETALL', KEYS[1])
table.insert(reply, 1, 1)
return reply
