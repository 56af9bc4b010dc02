#!lua
--[[
  Restarts a workflow's TTL (and its history's and checkpoints') without changing its state, version or updatedAt, and records the
  event.
  KEYS[1] rec  KEYS[2] idem  KEYS[3] idx  KEYS[4] exp  KEYS[5] lbl  KEYS[6] hist  KEYS[7] ev  KEYS[8] nt
  KEYS[9] own  KEYS[10] lsz  KEYS[11] cpg  KEYS[12] cpo   (see includes/common.lua, includes/checkpoints.lua)
  ARGV[1] id  ARGV[2] ttl seconds ('' = the workflow's own)  ARGV[3] request fingerprint ('' = no idempotency key)
  ARGV[4] idempotency window ms  ARGV[5] purge batch size
  ARGV[6] events retention ms (0 = no events)  ARGV[7] events kept per shard  ARGV[8] lease token ('' = none)
  ARGV[9] index TTL margin floor ms  ARGV[10] expected version ('' = any)
  Checks in the order of save and delete: replay, existence, lease, version.
  Returns:
    { 1, record }                             touched: the whole record as stored (header, newline, state JSON)
    { 2, outcome, version, record or false, created[, produced] }  same key, same request: applied earlier
    { -6, outcome, version }                  same key, different request: nothing written
    { -3 }                                    absent
    { -7, owner, lease expires ms }           leased, no token given: nothing written
    { -8, last token }                        not the live lease's token: nothing written
    { -2, current version }                   version mismatch: nothing written
]]
-- @include common
local now = nowMs()
setIndexFloor(ARGV[9])
local replay = replayOf(KEYS[2], ARGV[3], KEYS[1], KEYS[6])
if replay then return replay end
local record = redis.call('GET', KEYS[1])
if not record then return { -3 } end
local old = parseHeader(record, KEYS[1])
local lease = readLease(KEYS[9], ARGV[1])
local refused = fence(lease, ARGV[8], now)
if refused then return refused end
if ARGV[10] ~= '' and old.v ~= tonumber(ARGV[10]) then return { -2, old.v } end

local ttl = tonumber(ARGV[2] ~= '' and ARGV[2] or old.l)
local expireAt = now + ttl * 1000
local state = string.sub(record, string.find(record, '\n', 1, true) + 1)
local header = headerOf(old.v, old.c, old.u, expireAt, ttl, old.t, old.s)
writeRecord(KEYS[1], header, state, expireAt)
redis.call('PEXPIREAT', KEYS[6], expireAt)
cpFollow(KEYS[11], KEYS[12], expireAt)
reindex(KEYS[3], KEYS[4], KEYS[5], ARGV[1], old.t, old.s, old.v, expireAt, ttl)
rememberKey(KEYS[2], ARGV[3], 'T', old.v, old.c, now, tonumber(ARGV[4]), expireAt)
afterWrite(KEYS[9], KEYS[10], KEYS[3], lease, ARGV[1], now, expireAt)
local feed = feedOf(ARGV[6], ARGV[7])
recordEvent(KEYS[7], KEYS[8], feed, 'T', ARGV[1], old.v, old.t, old.s, now)
purge(KEYS[3], KEYS[4], KEYS[5], KEYS[7], KEYS[8], KEYS[9], KEYS[10], feed, now, tonumber(ARGV[5]))
return { 1, header .. state }
