--[[
  The bare compare-and-set the store's versioned writes are compared with: nothing but the version check, the
  write and the TTL. No indexes, no operation log, no timestamps.
  KEYS[1] hash { v = version, d = JSON }
  ARGV[1] expected version  ARGV[2] JSON  ARGV[3] TTL in ms
  Returns { 1, new version } written, or { -2, current version (0 if absent) } nothing written.
]]
local version = tonumber(redis.call('HGET', KEYS[1], 'v'))
if version == nil or version ~= tonumber(ARGV[1]) then return { -2, version or 0 } end
redis.call('HSET', KEYS[1], 'v', version + 1, 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return { 1, version + 1 }
