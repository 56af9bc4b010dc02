#!lua
--[[
  Writes a complete record as it is (import, migration), unless the stored one is as new or newer.
  KEYS[1] rec  KEYS[2] idem (placeholder, untouched)  KEYS[3] idx  KEYS[4] exp  KEYS[5] lbl   (see includes/common.lua)
  ARGV[1] id  ARGV[2] type  ARGV[3] status  ARGV[4] state JSON  ARGV[5] version
  ARGV[6] created ms  ARGV[7] updated ms  ARGV[8] expires ms  ARGV[9] ttl seconds  ARGV[10] purge batch size
  Returns:
    { 1 }                   written
    { -4 }                  already expired, nothing written
    { -5, stored version }  stored version is equal or higher, nothing written
]]
-- @include common
local now = nowMs()
local version, expireAt, purgeLimit = tonumber(ARGV[5]), tonumber(ARGV[8]), tonumber(ARGV[10])
if expireAt <= now then return { -4 } end
local current = readHeader(KEYS[1])
if current and current.v >= version then return { -5, current.v } end

writeRecord(KEYS[1], headerOf(ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[2], ARGV[3]), ARGV[4], expireAt)
reindex(KEYS[3], KEYS[4], KEYS[5], ARGV[1], ARGV[2], ARGV[3], expireAt, tonumber(ARGV[9]))
purge(KEYS[3], KEYS[4], KEYS[5], now, purgeLimit)
return { 1 }
