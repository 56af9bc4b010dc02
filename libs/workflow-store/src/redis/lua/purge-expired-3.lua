#!lua flags=allow-oom
--[[
  Sweeps index entries of workflows that have expired, in one shard. Bounded per call.
  KEYS[1] idx  KEYS[2] exp  KEYS[3] lbl   (see includes/common.lua)
  ARGV[1] batch size
  Returns: number of expired workflows unindexed
]]
-- @include common
return purge(KEYS[1], KEYS[2], KEYS[3], nowMs(), tonumber(ARGV[1]))
