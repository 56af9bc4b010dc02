#!lua
--[[
  Creates a workflow at version 1 if the id is free, and records the event.
  KEYS[1] rec  KEYS[2] idem  KEYS[3] idx  KEYS[4] exp  KEYS[5] lbl  KEYS[6] hist  KEYS[7] ev  KEYS[8] nt
  KEYS[9] own  KEYS[10] lsz  KEYS[11] cpg  KEYS[12] cpo   (see includes/common.lua, includes/checkpoints.lua)
  ARGV[1] id  ARGV[2] type  ARGV[3] status  ARGV[4] state JSON  ARGV[5] ttl seconds
  ARGV[6] request fingerprint ('' = no idempotency key)  ARGV[7] idempotency window ms  ARGV[8] purge batch size
  ARGV[9] events retention ms (0 = no events)  ARGV[10] events kept per shard  ARGV[11] index TTL margin floor ms
  Returns:
    { 1, version, createdMs, updatedMs, expiresMs, type, status, ttl }  created
    { 2, outcome, version, record or false, created[, produced] }        same key, same request: applied earlier
    { -6, outcome, version }                                            same key, different request: nothing written
    { -1, current version }                                             id taken, nothing written
]]
-- @include common
local now = nowMs()
setIndexFloor(ARGV[11])
local ttl = tonumber(ARGV[5])
local replay = replayOf(KEYS[2], ARGV[6], KEYS[1], KEYS[6])
if replay then return replay end
local current = readHeader(KEYS[1])
if current then return { -1, current.v } end

local feed = feedOf(ARGV[9], ARGV[10])
-- An id in no index has no labels to read (false); otherwise reindex reads them (nil).
local labelsKnown = nil
if observeExpired(KEYS[3], KEYS[4], KEYS[5], KEYS[7], KEYS[8], KEYS[9], KEYS[10], feed, ARGV[1], now) then labelsKnown = false end
local expireAt = now + ttl * 1000
writeRecord(KEYS[1], headerOf(1, now, now, expireAt, ttl, ARGV[2], ARGV[3]), ARGV[4], expireAt)
-- A history or lease left by an earlier life of this id (expired, not swept yet) is not this workflow's.
redis.call('DEL', KEYS[6], KEYS[11], KEYS[12])
dropLease(KEYS[9], KEYS[10], KEYS[3], ARGV[1])
reindex(KEYS[3], KEYS[4], KEYS[5], ARGV[1], ARGV[2], ARGV[3], 1, expireAt, ttl, labelsKnown)
rememberKey(KEYS[2], ARGV[6], 'C', 1, now, now, tonumber(ARGV[7]), expireAt)
recordEvent(KEYS[7], KEYS[8], feed, 'C', ARGV[1], 1, ARGV[2], ARGV[3], now)
purge(KEYS[3], KEYS[4], KEYS[5], KEYS[7], KEYS[8], KEYS[9], KEYS[10], feed, now, tonumber(ARGV[8]))
return { 1, 1, now, now, expireAt, ARGV[2], ARGV[3], ttl }
