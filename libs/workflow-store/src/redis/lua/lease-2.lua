#!lua flags=no-writes
--[[
  Reads a workflow's last lease (read only: it may run on a replica), deciding whether a held lease is still live by
  the server's clock (TIME), as the write scripts decide it.
  KEYS[1] rec  KEYS[2] own   (see includes/common.lua)
  ARGV[1] id
  Returns:
    { }                                          the workflow does not exist, or has had no lease in this life
    { token, owner, expiresMs, state }           state: H held and live now; X expired without release (stalled,
                                                 or a held lease past its expiry the sweep has not seen yet);
                                                 R released; W cleared (a write went ahead after it expired)
]]
-- @include common
-- A record whose key expired is gone for EXISTS as for GET; a lease its life left is not swept yet but is not its.
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
local lease = readLease(KEYS[2], ARGV[1])
if not lease or not lease.token then return {} end
local state = lease.state
if state == 'H' and lease.expires <= nowMs() then state = 'X' end
return { string.format('%d', lease.token), lease.owner, string.format('%d', lease.expires), state }
