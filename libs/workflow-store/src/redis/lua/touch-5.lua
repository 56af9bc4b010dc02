#!lua
--[[
  Restarts a workflow's TTL without changing its state, version or updatedAt.
  KEYS[1] rec  KEYS[2] ops  KEYS[3] idx  KEYS[4] exp  KEYS[5] lbl   (see includes/common.lua)
  ARGV[1] id  ARGV[2] ttl seconds ('' = the workflow's own)  ARGV[3] operation id ('' = none)
  ARGV[4] max operations kept  ARGV[5] purge batch size
  Returns:
    { 1, record }             touched: the whole record as stored (header, newline, state JSON)
    { 2, recorded result }    operation already applied
    { -3 }                    absent
]]
-- @include common
local now = nowMs()
local maxOps, purgeLimit = tonumber(ARGV[4]), tonumber(ARGV[5])
local replay = findOp(KEYS[2], ARGV[3])
if replay then return { 2, replay } end
local record = redis.call('GET', KEYS[1])
if not record then return { -3 } end
local old = parseHeader(record, KEYS[1])

local ttl = tonumber(ARGV[2] ~= '' and ARGV[2] or old.l)
local expireAt = now + ttl * 1000
local state = string.sub(record, string.find(record, '\n', 1, true) + 1)
local header = headerOf(old.v, old.c, old.u, expireAt, ttl, old.t, old.s)
writeRecord(KEYS[1], header, state, expireAt)
reindex(KEYS[3], KEYS[4], KEYS[5], ARGV[1], old.t, old.s, expireAt, ttl)
keepOps(KEYS[2], ARGV[3], 'T', maxOps, expireAt)
purge(KEYS[3], KEYS[4], KEYS[5], now, purgeLimit)
return { 1, header .. state }
