#!lua
--[[
  Creates a workflow at version 1 if the id is free.
  KEYS[1] rec  KEYS[2] idem  KEYS[3] idx  KEYS[4] exp  KEYS[5] lbl   (see includes/common.lua)
  ARGV[1] id  ARGV[2] type  ARGV[3] status  ARGV[4] state JSON  ARGV[5] ttl seconds
  ARGV[6] request fingerprint ('' = no idempotency key)  ARGV[7] idempotency window ms  ARGV[8] purge batch size
  Returns:
    { 1, version, createdMs, updatedMs, expiresMs, type, status, ttl }  created
    { 2, outcome, version, record or false, created }                   same key, same request: applied earlier
    { -6, outcome, version }                                            same key, different request: nothing written
    { -1, current version }                                             id taken, nothing written
]]
-- @include common
local now = nowMs()
local ttl = tonumber(ARGV[5])
local replay = replayOf(KEYS[2], ARGV[6], KEYS[1])
if replay then return replay end
local current = readHeader(KEYS[1])
if current then return { -1, current.v } end

local expireAt = now + ttl * 1000
writeRecord(KEYS[1], headerOf(1, now, now, expireAt, ttl, ARGV[2], ARGV[3]), ARGV[4], expireAt)
reindex(KEYS[3], KEYS[4], KEYS[5], ARGV[1], ARGV[2], ARGV[3], expireAt, ttl)
rememberKey(KEYS[2], ARGV[6], 'C', 1, now, now, tonumber(ARGV[7]), expireAt)
purge(KEYS[3], KEYS[4], KEYS[5], now, tonumber(ARGV[8]))
return { 1, 1, now, now, expireAt, ARGV[2], ARGV[3], ttl }
