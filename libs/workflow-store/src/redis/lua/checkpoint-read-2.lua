#!lua flags=no-writes
--[[
  Reads one checkpoint of a thread with its pending writes (WorkflowCheckpointSaver.getTuple), read only.
  KEYS[1] cpg  KEYS[2] cpo   (see includes/checkpoints.lua)
  ARGV[1] namespace  ARGV[2] checkpoint id ('' = the namespace's latest)
  Returns:
    { }                                        no such checkpoint
    { id, record, refs, index, value…, write… }   see cpRead in includes/checkpoints.lua
]]
-- @include common
-- @include checkpoints
local id = ARGV[2]
if id == '' then
  local ns = ARGV[1]
  local latest = redis.call('ZRANGE', KEYS[2], '(' .. ns .. CP_LIST, '[' .. ns .. CP_SEP, 'BYLEX', 'REV', 'LIMIT', 0, 1)[1]
  if not latest then return {} end
  id = string.sub(latest, #ns + 2)
end
return cpRead(KEYS[1], ARGV[1], id) or {}
