#!lua
--[[
  Writes a complete record as it is (import, migration), unless the stored one is as new or newer, with the
  earlier versions given (an export's history) as its history, and records the event.
  KEYS[1] rec  KEYS[2] idem (placeholder, untouched)  KEYS[3] idx  KEYS[4] exp  KEYS[5] lbl  KEYS[6] hist
  KEYS[7] ev  KEYS[8] nt  KEYS[9] own  KEYS[10] lsz  KEYS[11] cpg  KEYS[12] cpo   (see includes/common.lua, includes/checkpoints.lua)
  ARGV[1] id  ARGV[2] type  ARGV[3] status  ARGV[4] state JSON  ARGV[5] version
  ARGV[6] created ms  ARGV[7] updated ms  ARGV[8] expires ms  ARGV[9] ttl seconds  ARGV[10] purge batch size
  ARGV[11] events retention ms (0 = no events)  ARGV[12] events kept per shard  ARGV[13] history versions kept
  ARGV[14] index TTL margin floor ms  ARGV[15..] pairs: an earlier version, its whole record (header, newline, state JSON)
  Returns:
    { 1 }                   written
    { -4 }                  already expired, nothing written
    { -5, stored version }  stored version is equal or higher, nothing written
]]
-- @include common
local now = nowMs()
setIndexFloor(ARGV[14])
local version, expireAt, purgeLimit = tonumber(ARGV[5]), tonumber(ARGV[8]), tonumber(ARGV[10])
if expireAt <= now then return { -4 } end
local current = readHeader(KEYS[1])
if current and current.v >= version then return { -5, current.v } end

local feed = feedOf(ARGV[11], ARGV[12])
if not current then observeExpired(KEYS[3], KEYS[4], KEYS[5], KEYS[7], KEYS[8], KEYS[9], KEYS[10], feed, ARGV[1], now) end
writeRecord(KEYS[1], headerOf(ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[2], ARGV[3]), ARGV[4], expireAt)
-- The restored workflow's history is the one given with it, never what a lower stored version had; a lease on the
-- workflow it replaces does not carry over.
redis.call('DEL', KEYS[6])
if not current then redis.call('DEL', KEYS[11], KEYS[12]) end
cpFollow(KEYS[11], KEYS[12], expireAt)
dropLease(KEYS[9], KEYS[10], KEYS[3], ARGV[1])
local keep = tonumber(ARGV[13])
for i = 15, #ARGV - 1, 2 do
  local kept = tonumber(ARGV[i])
  if kept < version and kept > version - 1 - keep then redis.call('HSET', KEYS[6], kept, ARGV[i + 1]) end
end
if keep > 0 then redis.call('PEXPIREAT', KEYS[6], expireAt) end
reindex(KEYS[3], KEYS[4], KEYS[5], ARGV[1], ARGV[2], ARGV[3], version, expireAt, tonumber(ARGV[9]))
recordEvent(KEYS[7], KEYS[8], feed, 'R', ARGV[1], version, ARGV[2], ARGV[3], now)
purge(KEYS[3], KEYS[4], KEYS[5], KEYS[7], KEYS[8], KEYS[9], KEYS[10], feed, now, purgeLimit)
return { 1 }
