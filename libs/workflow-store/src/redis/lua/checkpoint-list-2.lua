#!lua flags=no-writes
--[[
  One page of a thread's checkpoints, newest first within a namespace (WorkflowCheckpointSaver.list), read only.
  KEYS[1] cpg  KEYS[2] cpo   (see includes/checkpoints.lua)
  ARGV[1] from: the exclusive upper bound, a ZRANGE BYLEX bound ("(ns\0id", "(ns\1" for a namespace's newest,
          "+" for every namespace)
  ARGV[2] to: the lower bound ("[ns\0" for one namespace, "-" for every one)
  ARGV[3] members examined at most  ARGV[4] only ids below this one ('' = any)
  Returns:
    { last member examined or '', { ns, id, record, refs, index, value…, write… }, … }   '' when the range is
    exhausted (see cpRead in includes/checkpoints.lua)
]]
-- @include common
-- @include checkpoints
local limit = tonumber(ARGV[3])
local members = redis.call('ZRANGE', KEYS[2], ARGV[1], ARGV[2], 'BYLEX', 'REV', 'LIMIT', 0, limit)
local out = { #members == limit and members[#members] or '' }
for _, member in ipairs(members) do
  local cut = string.find(member, CP_SEP, 1, true)
  local ns, id = string.sub(member, 1, cut - 1), string.sub(member, cut + 1)
  if ARGV[4] == '' or id < ARGV[4] then
    local read = cpRead(KEYS[1], ns, id)
    if read then
      table.insert(read, 1, ns)
      out[#out + 1] = read
    end
  end
end
return out
