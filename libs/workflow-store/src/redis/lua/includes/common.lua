-- Shared by every write script (inlined by scripts/embed-lua.mjs where a script says "-- @include common").
-- Storage format v2. Key roles, always passed in KEYS and sharing one {shard} hash tag (see redis-keys.ts):
--   rec  string the workflow: a header "version|created|updated|expires|ttl|type|status" (times in ms, ttl in s),
--               a newline, then the state JSON as the caller sent it (one value: a read is one GET)
--   idem string one remembered idempotency key of this workflow: "fingerprint|outcome|version|created", outcome C
--               created, W written, T touched, D deleted; version and created (ms) identify the workflow the write
--               left (for D: the one it deleted). It expires after the idempotency window or when that workflow
--               expires as of the write, whichever is first. When the write has no key, KEYS holds a placeholder of
--               the shard that is never touched.
--   idx  zset   lexicographic index of the shard, all scores 0, four entries per workflow: "a\0id",
--               "y\0type\0id", "t\0type\0status\0id", "s\0status\0id" (a filter's entries sort by id alone, so a
--               walk holds while labels change)
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

-- An earlier write with this idempotency key: nil when there is none (or the write has no key); otherwise the reply
-- to send instead of writing: { 2, outcome, version, current record or false, created } for the same request, or
-- { -6, outcome, version } when the key was used for a different request (another fingerprint).
local function replayOf(idemKey, fingerprint, recKey)
  if fingerprint == '' then return nil end
  local remembered = redis.call('GET', idemKey)
  if not remembered then return nil end
  local fp, outcome, version, created = string.match(remembered, '^([^|]*)|(%u)|(%d+)|(%-?%d+)$')
  if fp ~= fingerprint then return { -6, outcome, tonumber(version) } end
  return { 2, outcome, tonumber(version), redis.call('GET', recKey), created }
end

-- Remembers this write's idempotency key for the window, but never past `lifeEndMs` (when its workflow expires).
local function rememberKey(idemKey, fingerprint, outcome, version, created, now, windowMs, lifeEndMs)
  if fingerprint == '' then return end
  local untilMs = math.min(now + windowMs, lifeEndMs)
  if untilMs > now then
    redis.call('SET', idemKey, fingerprint .. '|' .. outcome .. '|' .. version .. '|' .. created, 'PXAT', untilMs)
  end
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
    redis.call('ZREM', idxKey, 'a' .. SEP .. id, 'y' .. SEP .. wtype .. SEP .. id, 't' .. SEP .. wtype .. SEP .. status .. SEP .. id,
      's' .. SEP .. status .. SEP .. id)
    redis.call('HDEL', lblKey, id)
  end
  redis.call('ZREM', expKey, id)
end

local function reindex(idxKey, expKey, lblKey, id, wtype, status, expireAt, ttl)
  local labels = wtype .. SEP .. status
  if redis.call('HGET', lblKey, id) ~= labels then
    unindex(idxKey, expKey, lblKey, id)
    redis.call('ZADD', idxKey, 0, 'a' .. SEP .. id, 0, 'y' .. SEP .. wtype .. SEP .. id, 0, 't' .. SEP .. wtype .. SEP .. status .. SEP .. id,
      0, 's' .. SEP .. status .. SEP .. id)
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
