-- Shared by every write script (inlined by scripts/embed-lua.mjs where a script says "-- @include common").
-- Key roles, always passed in KEYS and sharing one {shard} hash tag:
--   rec  hash   the workflow: v version, t type, s status, d state JSON, c/u/e created/updated/expires ms, l ttl s
--   ops  string recent operation ids of this workflow: "|op1=3|op2=D|" (bounded; lives as long as the workflow)
--   idx  zset   lexicographic index of the shard, all scores 0: "a\0id", "t\0type\0status\0id", "s\0status\0id"
--   exp  zset   id -> expiry ms, to sweep index entries of expired workflows
--   lbl  hash   id -> "type\0status", what idx holds for each id (source of truth for unindexing)
local SEP = '\0'

local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The result an operation id recorded earlier, or nil.
local function findOp(opsKey, opId)
  if opId == '' then return nil end
  local log = redis.call('GET', opsKey)
  if not log then return nil end
  local _, e = string.find(log, '|' .. opId .. '=', 1, true)
  if not e then return nil end
  local stop = string.find(log, '|', e + 1, true)
  return string.sub(log, e + 1, stop - 1)
end

-- Appends an operation (newest last, at most maxOps kept) and keeps the log alive exactly as long as the workflow.
local function keepOps(opsKey, opId, result, maxOps, expireAt)
  if opId == '' then
    if redis.call('EXISTS', opsKey) == 1 then redis.call('PEXPIREAT', opsKey, expireAt) end
    return
  end
  local log = (redis.call('GET', opsKey) or '|') .. opId .. '=' .. result .. '|'
  local _, count = string.gsub(log, '|', '|')
  while count - 1 > maxOps do
    -- Only find's start position: passing its end as well would cut the log down to a lone '|'.
    log = string.sub(log, (string.find(log, '|', 2, true)))
    count = count - 1
  end
  redis.call('SET', opsKey, log, 'PXAT', expireAt)
end

-- An index key lives as long as its longest-lived entry, so no index outlives the workflows it lists.
local function extendTo(key, expireAt)
  if redis.call('PEXPIRETIME', key) < expireAt then redis.call('PEXPIREAT', key, expireAt) end
end

local function unindex(idxKey, expKey, lblKey, id)
  local labels = redis.call('HGET', lblKey, id)
  if labels then
    local p = string.find(labels, SEP, 1, true)
    local wtype, status = string.sub(labels, 1, p - 1), string.sub(labels, p + 1)
    redis.call('ZREM', idxKey, 'a' .. SEP .. id, 't' .. SEP .. wtype .. SEP .. status .. SEP .. id, 's' .. SEP .. status .. SEP .. id)
    redis.call('HDEL', lblKey, id)
  end
  redis.call('ZREM', expKey, id)
end

local function reindex(idxKey, expKey, lblKey, id, wtype, status, expireAt)
  local labels = wtype .. SEP .. status
  if redis.call('HGET', lblKey, id) ~= labels then
    unindex(idxKey, expKey, lblKey, id)
    redis.call('ZADD', idxKey, 0, 'a' .. SEP .. id, 0, 't' .. SEP .. wtype .. SEP .. status .. SEP .. id, 0, 's' .. SEP .. status .. SEP .. id)
    redis.call('HSET', lblKey, id, labels)
  end
  redis.call('ZADD', expKey, expireAt, id)
  extendTo(idxKey, expireAt)
  extendTo(expKey, expireAt)
  extendTo(lblKey, expireAt)
end

-- Drops index entries of workflows that expired (Redis removed their records by itself). Bounded per call.
local function purge(idxKey, expKey, lblKey, now, limit)
  local expired = redis.call('ZRANGE', expKey, '-inf', now, 'BYSCORE', 'LIMIT', 0, limit)
  for _, id in ipairs(expired) do unindex(idxKey, expKey, lblKey, id) end
  return #expired
end
