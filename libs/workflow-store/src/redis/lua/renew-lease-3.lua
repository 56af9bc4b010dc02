#!lua
--[[
  Extends the live lease whose token is given, from now.
  KEYS[1] rec  KEYS[2] own  KEYS[3] lsz   (see includes/common.lua)
  ARGV[1] id  ARGV[2] token  ARGV[3] ttl ms
  Returns:
    { 1, token, owner, expiresMs }   renewed
    { -3 }                            the workflow does not exist
    { -8, last token }                the token is not that of the live lease (expired, released, taken over)
]]
-- @include common
local now = nowMs()
local header = readHeader(KEYS[1])
if not header then return { -3 } end
local lease = readLease(KEYS[2], ARGV[1])
local refused = fence(lease, ARGV[2], now)
if refused then return refused end

lease.expires = now + tonumber(ARGV[3])
writeLease(KEYS[2], ARGV[1], lease)
redis.call('ZADD', KEYS[3], lease.expires, ARGV[1])
extendLeaseKeys(KEYS[2], KEYS[3], math.max(header.e, lease.expires) + INDEX_TTL_MARGIN_MAX_MS)
return { 1, string.format('%d', lease.token), lease.owner, lease.expires }
