#!lua flags=allow-oom
--[[
  Finds leases of one shard that expired without release: marks their workflows stalled and records a
  lease-expired event for each. Bounded per call.
  KEYS[1] lsz  KEYS[2] own  KEYS[3] idx  KEYS[4] exp  KEYS[5] lbl  KEYS[6] ev  KEYS[7] nt   (see includes/common.lua)
  ARGV[1] batch size  ARGV[2] events retention ms (0 = no events)  ARGV[3] events kept per shard
  Returns: how many expired leases were found
]]
-- @include common
return expireLeases(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], feedOf(ARGV[2], ARGV[3]), nowMs(), tonumber(ARGV[1]))
