-- A LangGraph thread's checkpoints (WorkflowCheckpointSaver), inlined where a script says "-- @include checkpoints".
-- A thread is a workflow (the thread id is its id); its checkpoints live in two more keys of the workflow's shard,
-- always in KEYS, which expire at the workflow's own expiry (every write and touch sets it, a delete or a new life
-- drops them):
--   cpg  hash  "c\0ns\0id"  the checkpoint record (opaque bytes built by the caller: parent id, serialised
--                           checkpoint without its channel values, and metadata)
--              "r\0ns\0id"  its channel values: "ch\1version\1writer\1…", writer = the checkpoint that stored the
--                           value (itself for the channels it changed, else its parent's writer of that version)
--              "b\0ns\0ch\0writer"  a channel value (opaque bytes), shared by every checkpoint referring to it
--              "n\0ns\0ch\0writer"  how many checkpoints refer to that value: it goes with the last of them
--              "a\0ns\0id"  the delta channels this checkpoint needs an ancestor for: "ch\1id\1ch\1id…", id = the
--                           nearest checkpoint on its path holding that channel's snapshot (itself when it holds it)
--              "i\0ns\0id"  the pending writes stored for it: "task\0idx\1task\0idx…"
--              "w\0ns\0id\0task\0idx"  one pending write (opaque bytes: channel, type, task path, value)
--              "l\0" / "x\0"  the root namespace's newest checkpoint put / newest checkpoint an interrupt was
--                           written for (the thread's status: see cpRoot)
--   cpo  zset  "ns\0id" (score 0): a namespace's checkpoints in id order (uuid6 ids sort by time), so the latest
--              is one ZRANGE and a page of `list` is one ZRANGE, whatever the thread's size
-- Names, ids and task ids never hold \0 or \1 (the caller refuses them).
local CP_SEP, CP_LIST = '\0', '\1'
-- Checkpoints a put may prune: the rest goes at the next put, so no script runs long.
local CP_PRUNE_BATCH = 200

local function cpField(kind, ns, id)
  return kind .. CP_SEP .. ns .. CP_SEP .. id
end

-- The parts of a \1-separated list (empty parts kept); none for an absent field (HGET's false) or ''.
local function cpSplit(s)
  local parts = {}
  if not s or s == '' then return parts end
  local at = 1
  while true do
    local cut = string.find(s, CP_LIST, at, true)
    if not cut then
      parts[#parts + 1] = string.sub(s, at)
      return parts
    end
    parts[#parts + 1] = string.sub(s, at, cut - 1)
    at = cut + 1
  end
end

-- The new checkpoint's anchors: itself for the delta channels it holds a value of, and for those it carries on
-- without a value its parent's anchor, or '' (the thread's first checkpoint: LangGraph walks back to it) when no
-- checkpoint on its path held one yet.
local function cpAnchors(graphKey, ns, id, parentId, snapshots, carried)
  local inherited = {}
  if parentId ~= '' then
    local parts = cpSplit(redis.call('HGET', graphKey, cpField('a', ns, parentId)))
    for i = 1, #parts - 1, 2 do inherited[parts[i]] = parts[i + 1] end
  end
  local out = {}
  for _, ch in ipairs(cpSplit(carried)) do
    if inherited[ch] then
      out[#out + 1] = ch; out[#out + 1] = inherited[ch]
    elseif parentId ~= '' then
      out[#out + 1] = ch; out[#out + 1] = ''
    end
  end
  for _, ch in ipairs(cpSplit(snapshots)) do out[#out + 1] = ch; out[#out + 1] = id end
  return table.concat(out, CP_LIST)
end

-- Drops the checkpoint's references to channel values, and every value nothing refers to any more.
local function cpRelease(graphKey, ns, id)
  local refs = cpSplit(redis.call('HGET', graphKey, cpField('r', ns, id)))
  for i = 1, #refs - 2, 3 do
    local value = refs[i] .. CP_SEP .. refs[i + 2]
    if redis.call('HINCRBY', graphKey, cpField('n', ns, value), -1) <= 0 then
      redis.call('HDEL', graphKey, cpField('n', ns, value), cpField('b', ns, value))
    end
  end
end

-- Drops a checkpoint with its anchors, pending writes and the values only it referred to.
local function cpDrop(graphKey, orderKey, ns, id)
  cpRelease(graphKey, ns, id)
  local index = cpField('i', ns, id)
  local fields = { cpField('c', ns, id), cpField('a', ns, id), cpField('r', ns, id), index }
  for _, write in ipairs(cpSplit(redis.call('HGET', graphKey, index))) do
    fields[#fields + 1] = cpField('w', ns, id) .. CP_SEP .. write
  end
  redis.call('HDEL', graphKey, unpack(fields))
  redis.call('ZREM', orderKey, ns .. CP_SEP .. id)
end

-- keepLast: keeps the namespace's `keep` newest checkpoints and every older one a kept checkpoint still needs,
-- transitively: walking down from the newest, the floor is the oldest of the kept ones and of every anchor of a
-- checkpoint at or above the floor (so no checkpoint left stored needs one that is gone, and a fork from any of
-- them replays). Drops at most CP_PRUNE_BATCH checkpoints below the floor.
local function cpPrune(graphKey, orderKey, ns, keep)
  local lo, hi = '[' .. ns .. CP_SEP, '(' .. ns .. CP_LIST
  if redis.call('ZLEXCOUNT', orderKey, lo, hi) <= keep then return end
  local prefix = #ns + 2
  local seen, floor, lowest = 0, nil, nil
  local from = hi
  local done = false
  while not done do
    local page = redis.call('ZRANGE', orderKey, from, lo, 'BYLEX', 'REV', 'LIMIT', 0, 100)
    if #page == 0 then break end
    for _, member in ipairs(page) do
      local id = string.sub(member, prefix)
      if floor and id < floor then done = true; break end
      seen = seen + 1
      local parts = cpSplit(redis.call('HGET', graphKey, cpField('a', ns, id)))
      for i = 2, #parts, 2 do
        if not lowest or parts[i] < lowest then lowest = parts[i] end
      end
      if lowest == '' then return end -- needed back to the first checkpoint: nothing can go
      if seen >= keep then
        floor = id
        if lowest and lowest < floor then floor = lowest end
      end
    end
    from = '(' .. page[#page]
  end
  if not floor then return end
  local old = redis.call('ZRANGE', orderKey, '(' .. ns .. CP_SEP .. floor, lo, 'BYLEX', 'REV', 'LIMIT', 0, CP_PRUNE_BATCH)
  for _, member in ipairs(old) do cpDrop(graphKey, orderKey, ns, string.sub(member, prefix)) end
end

-- The new checkpoint's references: for each channel version it has, the value it stored itself, or the one its
-- parent refers to for that same version; each reference counted.
local function cpRefer(graphKey, ns, id, parentId, versions, written)
  local inherited = {}
  if parentId ~= '' then
    local refs = cpSplit(redis.call('HGET', graphKey, cpField('r', ns, parentId)))
    for i = 1, #refs - 2, 3 do inherited[refs[i]] = { refs[i + 1], refs[i + 2] } end
  end
  local out = {}
  local channels = cpSplit(versions)
  for i = 1, #channels - 1, 2 do
    local ch, version = channels[i], channels[i + 1]
    local writer = nil
    if written[ch] then
      writer = id
    elseif inherited[ch] and inherited[ch][1] == version then
      writer = inherited[ch][2]
    end
    if writer then
      out[#out + 1] = ch; out[#out + 1] = version; out[#out + 1] = writer
      redis.call('HINCRBY', graphKey, cpField('n', ns, ch .. CP_SEP .. writer), 1)
    end
  end
  return table.concat(out, CP_LIST)
end

-- Stores a checkpoint with the channel values it changed (argv[from] on: pairs of channel, value); a second put of
-- the same id replaces it, keeping its pending writes.
local function cpPut(graphKey, orderKey, ns, id, parentId, record, snapshots, carried, keep, versions, argv, from)
  local field = cpField('c', ns, id)
  if redis.call('HEXISTS', graphKey, field) == 1 then cpRelease(graphKey, ns, id) end
  local written = {}
  for i = from, #argv - 1, 2 do
    redis.call('HSET', graphKey, cpField('b', ns, argv[i] .. CP_SEP .. id), argv[i + 1])
    written[argv[i]] = true
  end
  redis.call('HSET', graphKey, field, record,
    cpField('r', ns, id), cpRefer(graphKey, ns, id, parentId, versions, written),
    cpField('a', ns, id), cpAnchors(graphKey, ns, id, parentId, snapshots, carried))
  redis.call('ZADD', orderKey, 0, ns .. CP_SEP .. id)
  if keep > 0 then cpPrune(graphKey, orderKey, ns, keep) end
end

-- Stores pending writes of one task for a checkpoint from argv[from] on: pairs of idx, record. A regular write
-- (idx >= 0) already stored is kept (a retried task writes the same); a special one (idx < 0: error, interrupt,
-- resume, scheduled) replaces the stored one. Returns how many were new.
local function cpPutWrites(graphKey, ns, id, task, argv, from)
  local base = cpField('w', ns, id) .. CP_SEP .. task .. CP_SEP
  local added = {}
  for i = from, #argv - 1, 2 do
    local idx = argv[i]
    local isNew
    if tonumber(idx) >= 0 then
      isNew = redis.call('HSETNX', graphKey, base .. idx, argv[i + 1])
    else
      isNew = redis.call('HSET', graphKey, base .. idx, argv[i + 1])
    end
    if isNew == 1 then added[#added + 1] = task .. CP_SEP .. idx end
  end
  if #added > 0 then
    local index = cpField('i', ns, id)
    local listed = redis.call('HGET', graphKey, index)
    local joined = table.concat(added, CP_LIST)
    redis.call('HSET', graphKey, index, listed and (listed .. CP_LIST .. joined) or joined)
  end
  return #added
end

-- What a root-namespace put (interrupt false) or interrupt write (true) of checkpoint `id` means for the thread's
-- workflow: 'stale' (an older checkpoint than one already put, or an interrupt of one: the summary stays),
-- 'interrupted' (the newest checkpoint put is one an interrupt was written for: LangGraph may put checkpoints up to
-- the interrupted one after the interrupt's write), or nil (the put's own summary and status hold).
local function cpRoot(graphKey, id, interrupt)
  local latest = redis.call('HGET', graphKey, 'l' .. CP_SEP) or ''
  local interrupted = redis.call('HGET', graphKey, 'x' .. CP_SEP) or ''
  if interrupt then
    if id > interrupted then redis.call('HSET', graphKey, 'x' .. CP_SEP, id); interrupted = id end
    return interrupted >= latest and 'interrupted' or 'stale'
  end
  if id < latest then return 'stale' end
  redis.call('HSET', graphKey, 'l' .. CP_SEP, id)
  if interrupted >= id then return 'interrupted' end
  return nil
end

-- A checkpoint with its record, channel values and pending writes:
-- { id, record, refs, index, value…, write… } (refs and index "" when none; a value per reference, a write per
-- index entry, in their order).
local function cpRead(graphKey, ns, id)
  local record = redis.call('HGET', graphKey, cpField('c', ns, id))
  if not record then return nil end
  local refs = redis.call('HGET', graphKey, cpField('r', ns, id)) or ''
  local index = redis.call('HGET', graphKey, cpField('i', ns, id)) or ''
  local out = { id, record, refs, index }
  local fields = {}
  local parts = cpSplit(refs)
  for i = 1, #parts - 2, 3 do fields[#fields + 1] = cpField('b', ns, parts[i] .. CP_SEP .. parts[i + 2]) end
  for _, write in ipairs(cpSplit(index)) do fields[#fields + 1] = cpField('w', ns, id) .. CP_SEP .. write end
  if #fields > 0 then
    for _, value in ipairs(redis.call('HMGET', graphKey, unpack(fields))) do out[#out + 1] = value or '' end
  end
  return out
end
