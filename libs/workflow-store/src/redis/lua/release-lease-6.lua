#!lua
--[[
  Releases the lease whose token is given, and records the lease-released event. The holder of a lease that
  expired without anyone else acquiring it may still release it (that ends the workflow's stall).
  KEYS[1] rec  KEYS[2] idx  KEYS[3] ev  KEYS[4] nt  KEYS[5] own  KEYS[6] lsz   (see includes/common.lua)
  ARGV[1] id  ARGV[2] token  ARGV[3] events retention ms (0 = no events)  ARGV[4] events kept per shard
  ARGV[5] expected version of the workflow ('' = any)
  Checks existence, then the token, then the version (as a write checks its lease before its version).
  Returns:
    { 1 }                 released
    { -3 }                the workflow does not exist
    { -8, last token }    the token is not the last one issued, or its lease was already released or cleared
    { -2, current version }  the workflow is not at the expected version: nothing released
]]
-- @include common
local now = nowMs()
local header = readHeader(KEYS[1])
if not header then return { -3 } end
local lease = readLease(KEYS[5], ARGV[1])
if not lease or lease.token ~= tonumber(ARGV[2]) or (lease.state ~= 'H' and lease.state ~= 'X') then
  return { -8, lease and string.format('%d', lease.token) or '0' }
end
if ARGV[5] ~= '' and header.v ~= tonumber(ARGV[5]) then return { -2, header.v } end

lease.state = 'R'
writeLease(KEYS[5], ARGV[1], lease)
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('ZREM', KEYS[2], 'z' .. SEP .. ARGV[1])
recordEvent(KEYS[3], KEYS[4], feedOf(ARGV[3], ARGV[4]), 'F', ARGV[1], header.v, header.t, header.s, now, lease)
return { 1 }
