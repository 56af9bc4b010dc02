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
--   lbl  hash   id -> "type\0status\0version", what idx holds for each id (source of truth for unindexing) and the
--               version an expiry event reports (entries written before events existed lack the version: 0)
--   hist string-keyed hash "…:h:<id>", version -> the whole record of that earlier version; at most
--               WORKFLOW_HISTORY_VERSIONS fields, expiring with the workflow (PEXPIREAT on every write and touch)
--   ev   stream the shard's change feed: one entry per write or observed expiry, field "d" =
--               "op\0id\0version\0type\0status[\0token\0owner]", op C created, U updated, D deleted, T touched,
--               R restored, X expired, A lease acquired, F lease released, E lease expired (the last three with
--               the lease's token and owner);
--               trimmed to EVENTS_MAX_PER_SHARD (approximately) and to the retention by id time, and expiring
--               the retention after its newest entry
--   own  hash   the shard's leases: id -> "token|owner|expiresMs|state", state H held, R released, X expired
--               (the sweep saw it expire: the workflow is stalled), W cleared by a write after it expired. It keeps
--               the last token issued for as long as the workflow lives (removed with its index entries)
--   lsz  zset   the shard's held leases: id -> lease expiry ms (the sweep finds expired ones here); a stalled
--               workflow also has the index entry "z\0id" in idx, so `list({ stalled: true })` is a walk like any other
--   nt   channel the shard's notice channel: each event SPUBLISHes an empty message there, so a replica's feed
--               reader knows which shard to read (a shard channel: it lives on the shard's own slot in a Cluster)
local SEP = '\0'
-- The header's longest possible length minus one: 16-digit version and times, 10-digit ttl, 64-byte labels.
local HEADER_MAX = 255
-- Index keys get a tenth of the writing workflow's TTL (at most an hour) more life than they need, so most writes
-- only read one TTL (extendIndexes).
local INDEX_TTL_MARGIN_MAX_MS = 3600000
-- ... but at least what the script is given (twice REDIS_PURGE_INTERVAL_MS): the expiry sweep must still find an
-- expired workflow in the expiry index to record its expiry event. Set by the scripts that index (setIndexFloor).
local INDEX_TTL_MARGIN_MIN_MS = 0
local function setIndexFloor(floorMs)
  INDEX_TTL_MARGIN_MIN_MS = tonumber(floorMs) or 0
end

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
-- A sixth element, when present, is the record the original write produced, from the history (the current record
-- has moved on since, and the history still holds that version of the same life of the id).
local function replayOf(idemKey, fingerprint, recKey, histKey)
  if fingerprint == '' then return nil end
  local remembered = redis.call('GET', idemKey)
  if not remembered then return nil end
  local fp, outcome, version, created = string.match(remembered, '^([^|]*)|(%u)|(%d+)|(%-?%d+)$')
  if fp ~= fingerprint then return { -6, outcome, tonumber(version) } end
  local current = redis.call('GET', recKey)
  if outcome ~= 'D' and current and parseHeader(current, recKey).v ~= tonumber(version) then
    local produced = redis.call('HGET', histKey, version)
    if produced and parseHeader(produced, histKey).c == created then
      return { 2, outcome, tonumber(version), current, created, produced }
    end
  end
  return { 2, outcome, tonumber(version), current, created }
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
    local untilMs = expireAt + math.max(INDEX_TTL_MARGIN_MIN_MS, math.min(ttl * 100, INDEX_TTL_MARGIN_MAX_MS))
    redis.call('PEXPIREAT', idxKey, untilMs)
    redis.call('PEXPIREAT', expKey, untilMs)
    redis.call('PEXPIREAT', lblKey, untilMs)
  end
end

-- The labels entry of an id split: type, status, version (0 when the entry predates versions in labels).
local function splitLabels(labels)
  local p = string.find(labels, SEP, 1, true)
  local q = string.find(labels, SEP, p + 1, true)
  if not q then return string.sub(labels, 1, p - 1), string.sub(labels, p + 1), 0 end
  return string.sub(labels, 1, p - 1), string.sub(labels, p + 1, q - 1), tonumber(string.sub(labels, q + 1)) or 0
end

-- Removes an id's index entries; returns its labels (type, status, version) or nil when it had none.
local function unindex(idxKey, expKey, lblKey, id)
  local labels = redis.call('HGET', lblKey, id)
  redis.call('ZREM', expKey, id)
  if not labels then return nil end
  local wtype, status, version = splitLabels(labels)
  redis.call('ZREM', idxKey, 'a' .. SEP .. id, 'y' .. SEP .. wtype .. SEP .. id, 't' .. SEP .. wtype .. SEP .. status .. SEP .. id,
    's' .. SEP .. status .. SEP .. id, 'z' .. SEP .. id)
  redis.call('HDEL', lblKey, id)
  return { wtype, status, version }
end

-- `known` spares reading the id's labels when the caller knows them: { t, s } from the record this write replaces (a
-- record and its labels are only ever written together), or false when the id has none (observeExpired said so).
local function reindex(idxKey, expKey, lblKey, id, wtype, status, version, expireAt, ttl, known)
  local labels = wtype .. SEP .. status .. SEP .. version
  local stored, oldType, oldStatus
  if known then
    stored, oldType, oldStatus = true, known.t, known.s
  elseif known == nil then
    stored = redis.call('HGET', lblKey, id)
    if stored then oldType, oldStatus = splitLabels(stored) end
  end
  if stored ~= labels then
    if oldType ~= wtype or oldStatus ~= status then
      -- An id without labels has no index entries to remove (its expiry entry is overwritten below).
      if stored then unindex(idxKey, expKey, lblKey, id) end
      redis.call('ZADD', idxKey, 0, 'a' .. SEP .. id, 0, 'y' .. SEP .. wtype .. SEP .. id, 0, 't' .. SEP .. wtype .. SEP .. status .. SEP .. id,
        0, 's' .. SEP .. status .. SEP .. id)
    end
    redis.call('HSET', lblKey, id, labels)
  end
  redis.call('ZADD', expKey, expireAt, id)
  extendIndexes(idxKey, expKey, lblKey, expireAt, ttl)
end

-- Appends one event to the shard's feed and rings the shard's notice channel. `feed` is { retentionMs, maxLen }
-- from the script's ARGV; a retention of 0 means events are off. The stream is trimmed by count (approximately,
-- whole nodes at a time, so it costs O(1) amortised) and by age, and lives the retention past its newest event.
local function recordEvent(evKey, ntKey, feed, op, id, version, wtype, status, now, lease)
  if feed.retentionMs == 0 then return end
  local data = op .. SEP .. id .. SEP .. version .. SEP .. wtype .. SEP .. status
  if lease then data = data .. SEP .. string.format('%d', lease.token) .. SEP .. lease.owner end
  redis.call('XADD', evKey, 'MAXLEN', '~', feed.maxLen, '*', 'd', data)
  redis.call('XTRIM', evKey, 'MINID', '~', now - feed.retentionMs)
  redis.call('PEXPIRE', evKey, feed.retentionMs)
  redis.call('SPUBLISH', ntKey, '')
end

local function feedOf(retentionMs, maxLen)
  return { retentionMs = tonumber(retentionMs), maxLen = tonumber(maxLen) }
end

-- Keeps `record` (an earlier version's whole record) in the workflow's history, at most `keep` versions, and makes
-- the history expire with the workflow. Versions of one life are consecutive, so the one to drop is known, and the
-- one before it is there only when a larger setting left a larger history: then it is cut down in one pass.
local function keepVersion(histKey, keep, version, record, expireAt)
  if keep == 0 then return end
  redis.call('HSET', histKey, version, record)
  if redis.call('HDEL', histKey, version - keep, version - keep - 1) > 1 then
    for _, kept in ipairs(redis.call('HKEYS', histKey)) do
      if tonumber(kept) <= version - keep then redis.call('HDEL', histKey, kept) end
    end
  end
  redis.call('PEXPIREAT', histKey, expireAt)
end

-- Drops index entries of workflows that expired (Redis removed their records by itself), recording an expiry event
-- for each. Bounded per call.


-- The workflow's lease, or nil when it never had one (or it went with the workflow).
local function readLease(ownKey, id)
  local lease = redis.call('HGET', ownKey, id)
  if not lease then return nil end
  local token, owner, expires, state = string.match(lease, '^(%d+)|([^|]*)|(%d+)|(%u)$')
  return { token = tonumber(token), owner = owner, expires = tonumber(expires), state = state }
end

-- The field of the shard's lease hash holding the highest token ever issued in the shard ("" is no workflow id), so a
-- token is never issued twice even when a workflow's own lease record went with it (delete, expiry, re-create).
local LAST_TOKEN_FIELD = ''

-- The next token for a workflow: above its own last one and the shard's, and at least the time in ms x 1000.
local function nextToken(ownKey, lease, now)
  local shardLast = tonumber(redis.call('HGET', ownKey, LAST_TOKEN_FIELD) or 0)
  local token = math.max(lease and lease.token + 1 or 0, shardLast + 1, now * 1000)
  redis.call('HSET', ownKey, LAST_TOKEN_FIELD, string.format('%d', token))
  return token
end

local function writeLease(ownKey, id, lease)
  redis.call('HSET', ownKey, id,
    string.format('%d', lease.token) .. '|' .. lease.owner .. '|' .. string.format('%d', lease.expires) .. '|' .. lease.state)
end

-- The shard's lease keys live at least until `untilMs` (the latest of its workflows' and leases' ends, plus a margin).
local function extendLeaseKeys(ownKey, leasesKey, untilMs)
  for _, key in ipairs({ ownKey, leasesKey }) do
    if redis.call('PEXPIRETIME', key) < untilMs then redis.call('PEXPIREAT', key, untilMs) end
  end
end

local function leaseIsLive(lease, now)
  return lease ~= nil and lease.state == 'H' and lease.expires > now
end

-- The fencing check of a write: nil when it may go ahead, else its refusal. Without a token the workflow must have
-- no live lease: { -7, owner, expiresMs }. With one, it must be the token of the live lease: { -8, last token } —
-- a lease that expired, was released or was taken over fences its holder out.
local function fence(lease, token, now)
  if token == '' then
    if leaseIsLive(lease, now) then return { -7, lease.owner, lease.expires } end
    return nil
  end
  if not leaseIsLive(lease, now) or lease.token ~= tonumber(token) then
    return { -8, lease and string.format('%d', lease.token) or '0' }
  end
  return nil
end

-- After a write: a lease that expired without release stops marking the workflow stalled (a write clears it), and
-- the lease data lives at least as long as the workflow now does.
local function afterWrite(ownKey, leasesKey, idxKey, lease, id, now, expireAt)
  if not lease then return end
  if lease.state == 'X' or (lease.state == 'H' and lease.expires <= now) then
    lease.state = 'W'
    writeLease(ownKey, id, lease)
    redis.call('ZREM', leasesKey, id)
    redis.call('ZREM', idxKey, 'z' .. SEP .. id)
  end
  extendLeaseKeys(ownKey, leasesKey, math.max(expireAt, lease.expires) + INDEX_TTL_MARGIN_MAX_MS)
end

-- Marks leases that expired without release (up to `limit`): the workflow is stalled (index entry "z\0id"), and a
-- lease-expired event says so. Returns how many.
local function expireLeases(leasesKey, ownKey, idxKey, expKey, lblKey, evKey, ntKey, feed, now, limit)
  local expired = redis.call('ZRANGE', leasesKey, '-inf', now, 'BYSCORE', 'LIMIT', 0, limit)
  for _, id in ipairs(expired) do
    redis.call('ZREM', leasesKey, id)
    local lease = readLease(ownKey, id)
    local labels = redis.call('HGET', lblKey, id)
    -- Only a live workflow stalls: one that expired (not swept yet) ends with its own expiry event instead.
    local life = tonumber(redis.call('ZSCORE', expKey, id) or 0)
    if lease and lease.state == 'H' and lease.expires <= now and labels and life > now then
      lease.state = 'X'
      writeLease(ownKey, id, lease)
      redis.call('ZADD', idxKey, 0, 'z' .. SEP .. id)
      local wtype, status, version = splitLabels(labels)
      recordEvent(evKey, ntKey, feed, 'E', id, version, wtype, status, now, lease)
    end
  end
  return #expired
end

-- Forgets the workflow's lease entirely (its workflow was deleted, expired, or replaced by a restore).
local function dropLease(ownKey, leasesKey, idxKey, id)
  -- Its held-lease and stalled entries are only ever there beside its lease record.
  if redis.call('HDEL', ownKey, id) == 0 then return end
  redis.call('ZREM', leasesKey, id)
  redis.call('ZREM', idxKey, 'z' .. SEP .. id)
end

-- Drops index entries (and the lease) of workflows that expired (Redis removed their records by itself), recording
-- an expiry event for each. Bounded per call.
local function purge(idxKey, expKey, lblKey, evKey, ntKey, ownKey, leasesKey, feed, now, limit)
  -- Most calls find nothing: a count is the cheaper way to learn that.
  if redis.call('ZCOUNT', expKey, '-inf', now) == 0 then return 0 end
  local expired = redis.call('ZRANGE', expKey, '-inf', now, 'BYSCORE', 'LIMIT', 0, limit)
  for _, id in ipairs(expired) do
    local labels = unindex(idxKey, expKey, lblKey, id)
    dropLease(ownKey, leasesKey, idxKey, id)
    if labels then recordEvent(evKey, ntKey, feed, 'X', id, labels[3], labels[1], labels[2], now) end
  end
  return #expired
end

-- A new life of `id` begins (create, an upsert or restore of an absent record): if the previous life expired without
-- the sweep seeing it yet, its expiry is recorded first, so the feed never skips the end of a life.
-- Returns true when the id is in no index (it had no expiry entry, or its expired life was just unindexed): the
-- expiry index and the labels hold the same ids.
local function observeExpired(idxKey, expKey, lblKey, evKey, ntKey, ownKey, leasesKey, feed, id, now)
  local score = redis.call('ZSCORE', expKey, id)
  if not score then return true end
  if tonumber(score) > now then return false end
  local labels = unindex(idxKey, expKey, lblKey, id)
  dropLease(ownKey, leasesKey, idxKey, id)
  if labels then recordEvent(evKey, ntKey, feed, 'X', id, labels[3], labels[1], labels[2], now) end
  return true
end

-- A LangGraph thread's checkpoint keys (cpg, cpo: see includes/checkpoints.lua) live exactly as long as its workflow
-- record; no-ops when it has none. Here, not in checkpoints.lua, so that a script that only keeps them alive need not
-- define the checkpoint functions on every call.
local function cpFollow(graphKey, orderKey, expireAt)
  -- A thread with a checkpoint in the order has its record in the graph hash, so no graph hash means no order either.
  if redis.call('PEXPIREAT', graphKey, expireAt) == 1 then redis.call('PEXPIREAT', orderKey, expireAt) end
end
