#!lua
--[[
  Acquires the workflow's lease for an owner, unless another lease is live; the token is above every token issued
  in the shard before (the shard keeps its highest), and at least the time in ms x 1000, so it also grows across
  lost lease records (a failover, the shard's lease hash expiring after a long idle time). Records the lease-acquired event. A stalled workflow is
  stalled no more.
  KEYS[1] rec  KEYS[2] idx  KEYS[3] ev  KEYS[4] nt  KEYS[5] own  KEYS[6] lsz   (see includes/common.lua)
  ARGV[1] id  ARGV[2] owner  ARGV[3] ttl ms  ARGV[4] events retention ms (0 = no events)  ARGV[5] events kept per shard
  Returns:
    { 1, token, owner, expiresMs }   acquired
    { -3 }                            the workflow does not exist
    { -7, owner, expiresMs }          another lease is live (the same owner too: renew it instead)
]]
-- @include common
local now = nowMs()
local header = readHeader(KEYS[1])
if not header then return { -3 } end
local lease = readLease(KEYS[5], ARGV[1])
if leaseIsLive(lease, now) then return { -7, lease.owner, lease.expires } end

local token = nextToken(KEYS[5], lease, now)
local acquired = { token = token, owner = ARGV[2], expires = now + tonumber(ARGV[3]), state = 'H' }
writeLease(KEYS[5], ARGV[1], acquired)
redis.call('ZADD', KEYS[6], acquired.expires, ARGV[1])
redis.call('ZREM', KEYS[2], 'z' .. SEP .. ARGV[1])
extendLeaseKeys(KEYS[5], KEYS[6], math.max(header.e, acquired.expires) + INDEX_TTL_MARGIN_MAX_MS)
recordEvent(KEYS[3], KEYS[4], feedOf(ARGV[4], ARGV[5]), 'A', ARGV[1], header.v, header.t, header.s, now, acquired)
return { 1, string.format('%d', token), acquired.owner, acquired.expires }
