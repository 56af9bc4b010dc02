#!lua
--[[
  Creates a workflow at version 1 if the id is free.
  KEYS[1] rec  KEYS[2] ops  KEYS[3] idx  KEYS[4] exp  KEYS[5] lbl   (see includes/common.lua)
  ARGV[1] id  ARGV[2] type  ARGV[3] status  ARGV[4] state JSON  ARGV[5] ttl seconds
  ARGV[6] operation id ('' = none)  ARGV[7] max operations kept  ARGV[8] purge batch size
  Returns:
    { 1, version, createdMs, updatedMs, expiresMs, type, status, ttl }  created
    { 2, recorded result }                                              operation already applied
    { -1, current version }                                             id taken, nothing written
]]
-- @include common
local now = nowMs()
local ttl = tonumber(ARGV[5])
local maxOps, purgeLimit = tonumber(ARGV[7]), tonumber(ARGV[8])
local replay = findOp(KEYS[2], ARGV[6])
if replay then return { 2, replay } end
local current = readHeader(KEYS[1])
if current then return { -1, current.v } end

local expireAt = now + ttl * 1000
writeRecord(KEYS[1], headerOf(1, now, now, expireAt, ttl, ARGV[2], ARGV[3]), ARGV[4], expireAt)
reindex(KEYS[3], KEYS[4], KEYS[5], ARGV[1], ARGV[2], ARGV[3], expireAt, ttl)
keepOps(KEYS[2], ARGV[6], 1, maxOps, expireAt)
purge(KEYS[3], KEYS[4], KEYS[5], now, purgeLimit)
return { 1, 1, now, now, expireAt, ARGV[2], ARGV[3], ttl }
