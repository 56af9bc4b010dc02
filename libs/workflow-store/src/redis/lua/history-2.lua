#!lua flags=no-writes
--[[
  Reads a workflow's kept versions (read only: it may run on a replica).
  KEYS[1] rec  KEYS[2] hist   (see includes/common.lua)
  ARGV[1] version wanted ('' = every kept version's header only)
  Returns:
    { }                                        the workflow does not exist
    { current record, oldest kept version, headers... }     no version asked: headers (newest first), no states
    { current record, oldest kept version, record or false } a version asked: its whole record, or false
]]
-- @include common
local current = redis.call('GET', KEYS[1])
if not current then return {} end
local currentVersion = parseHeader(current, KEYS[1]).v
local versions = {}
for _, kept in ipairs(redis.call('HKEYS', KEYS[2])) do
  local v = tonumber(kept)
  if v < currentVersion then versions[#versions + 1] = v end
end
table.sort(versions, function(a, b) return a > b end)
local oldest = versions[#versions] or currentVersion
if ARGV[1] ~= '' then
  local wanted = tonumber(ARGV[1])
  if wanted == currentVersion then return { current, oldest, current } end
  if wanted >= oldest and wanted < currentVersion then return { current, oldest, redis.call('HGET', KEYS[2], wanted) or false } end
  return { current, oldest, false }
end
local reply = { current, oldest }
for _, v in ipairs(versions) do
  local record = redis.call('HGET', KEYS[2], v)
  reply[#reply + 1] = string.sub(record, 1, string.find(record, '\n', 1, true) - 1)
end
return reply
