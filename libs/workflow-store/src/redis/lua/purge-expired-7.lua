#!lua flags=allow-oom
--[[
  Sweeps index entries (and leases) of workflows that have expired, in one shard, recording an expiry event for
  each. Bounded per call.
  KEYS[1] idx  KEYS[2] exp  KEYS[3] lbl  KEYS[4] ev  KEYS[5] nt  KEYS[6] own  KEYS[7] lsz   (see includes/common.lua)
  ARGV[1] batch size  ARGV[2] events retention ms (0 = no events)  ARGV[3] events kept per shard
  Returns: number of expired workflows unindexed
]]
-- @include common
return purge(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], feedOf(ARGV[2], ARGV[3]), nowMs(), tonumber(ARGV[1]))
