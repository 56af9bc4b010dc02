-- Shared by every write script (inlined by scripts/embed-lua.mjs where a script says "-- @include common").
-- Key roles, always passed in KEYS and sharing one {shard} hash tag:
--   rec  string the workflow: a header "version|created|updated|expires|ttl|type|status" (times in ms, ttl in s),
--               a newline, then the state JSON as the caller sent it (one value: a read is one GET)
--   ops  string recent operation ids of this workflow: "|op1=3|op2=D|" (bounded; lives as long as the workflow)
--   idx  zset   lexicographic index of the shard, all scores 0: "a\0id", "t\0type\0status\0id", "s\0status\0id"
--   exp  zset   id -> expiry ms, to sweep index entries of expired workflows
--   lbl  hash   id -> "type\0status", what idx holds for each id (source of truth for unindexing)
local SEP = '\0'
-- The header's longest possible length minus one: 16-digit version and times, 10-digit ttl, 64-byte labels.
local HEADER_MAX = 255
-- Index keys get a tenth of the writing workflow's TTL (at most an hour) more life than they need, so most writes
-- only read one TTL (extendIndexes).
local INDEX_TTL_MARGIN_MAX_MS = 3600000

-- The header fields at the start of `record` (times kept as the text stored).
local function parseHeader(record, recKey)
  local v, c, u, e, l, t, s = string.match(record, '^(%d+)|(%-?%d+)|(%-?%d+)|(%d+)|(%d+)|([^|\n]*)|([^|\n]*)\n')
  if not v then error({ err = 'ERR workflow-store: unreadable record header at ' .. recKey }) end
  return { v = tonumber(v), c = c, u = u, e = tonumber(e), l = tonumber(l), t = t, s = s }
end

-- The record's header fields, or nil when it is absent. Reads the header only, not the state.
local function readHeader(recKey)
  local head = redis.call('GETRANGE', recKey, 0, HEADER_MAX)
  if head == '' then return nil end
  return parseHeader(head, recKey)
end

local function headerOf(version, created, updated, expireAt, ttl, wtype, status)
  return version .. '|' .. created .. '|' .. updated .. '|' .. expireAt .. '|' .. ttl .. '|' .. wtype .. '|' .. status .. '\n'
end

-- Writes the whole record, expiring with the workflow.
local function writeRecord(recKey, header, stateJson, expireAt)
  redis.call('SET', recKey, header .. stateJson, 'PXAT', expireAt)
end

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

-- A shard's index keys live as long as their longest-lived entry plus the margin, so none outlives the workflows it
-- lists by more. The three hold the same ids, so they are created and emptied together, and their TTLs are only
-- ever set together: one PEXPIRETIME tells all three.
local function extendIndexes(idxKey, expKey, lblKey, expireAt, ttl)
  if redis.call('PEXPIRETIME', expKey) < expireAt then
    local untilMs = expireAt + math.min(ttl * 100, INDEX_TTL_MARGIN_MAX_MS)
    redis.call('PEXPIREAT', idxKey, untilMs)
    redis.call('PEXPIREAT', expKey, untilMs)
    redis.call('PEXPIREAT', lblKey, untilMs)
  end
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

local function reindex(idxKey, expKey, lblKey, id, wtype, status, expireAt, ttl)
  local labels = wtype .. SEP .. status
  if redis.call('HGET', lblKey, id) ~= labels then
    unindex(idxKey, expKey, lblKey, id)
    redis.call('ZADD', idxKey, 0, 'a' .. SEP .. id, 0, 't' .. SEP .. wtype .. SEP .. status .. SEP .. id, 0, 's' .. SEP .. status .. SEP .. id)
    redis.call('HSET', lblKey, id, labels)
  end
  redis.call('ZADD', expKey, expireAt, id)
  extendIndexes(idxKey, expKey, lblKey, expireAt, ttl)
end

-- Drops index entries of workflows that expired (Redis removed their records by itself). Bounded per call.
local function purge(idxKey, expKey, lblKey, now, limit)
  local expired = redis.call('ZRANGE', expKey, '-inf', now, 'BYSCORE', 'LIMIT', 0, limit)
  for _, id in ipairs(expired) do unindex(idxKey, expKey, lblKey, id) end
  return #expired
end
