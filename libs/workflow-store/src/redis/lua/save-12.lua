#!lua
--[[
  Upserts a workflow's writable fields as version + 1 (version 1 if absent), restarting its TTL; keeps the version
  it replaces in the history and records the event, all in this one script.
  With an expected version it is a compare-and-set: the workflow must exist at exactly that version.
  KEYS[1] rec  KEYS[2] idem  KEYS[3] idx  KEYS[4] exp  KEYS[5] lbl  KEYS[6] hist  KEYS[7] ev  KEYS[8] nt
  KEYS[9] own  KEYS[10] lsz  KEYS[11] cpg  KEYS[12] cpo   (see includes/common.lua, includes/checkpoints.lua)
  ARGV[1] id  ARGV[2] type ('' = keep)  ARGV[3] status ('' = keep)  ARGV[4] state JSON
  ARGV[5] ttl seconds ('' = keep)  ARGV[6] expected version ('' = unconditional), or 'version|createdMs|updatedMs':
    that version as a given write left it (a state the caller cached: after a delete and a re-create the id's
    versions start again, so the version alone could name another life's state)
  ARGV[7] request fingerprint ('' = no idempotency key)  ARGV[8] idempotency window ms  ARGV[9] purge batch size
  ARGV[10] default type  ARGV[11] default status  ARGV[12] default ttl seconds
  ARGV[13] events retention ms (0 = no events)  ARGV[14] events kept per shard  ARGV[15] history versions kept
  ARGV[16] lease token ('' = none)  ARGV[17] index TTL margin floor ms
  ARGV[18] what else this write stores, for WorkflowCheckpointSaver (absent = nothing):
    'c' a checkpoint: ARGV[19] namespace  ARGV[20] checkpoint id  ARGV[21] parent id ('' = none)  ARGV[22] record
        ARGV[23] delta channels it holds a snapshot of ("ch\1ch…")  ARGV[24] channels it carries without a value
        ARGV[25] checkpoints kept per namespace (0 = all)  ARGV[26] its channel versions ("ch\1version\1…")
        then pairs of channel, value: the values it changed
    'w' pending writes: ARGV[19] namespace  ARGV[20] checkpoint id  ARGV[21] task id  then pairs of idx, record
  A state of '' keeps the stored state (a checkpoint of a subgraph, an interrupt: the thread's summary stays).
  Returns:
    { 1, version, createdMs, updatedMs, expiresMs, type, status, ttl }  written
    { 2, outcome, version, record or false, created[, produced] }        same key, same request: applied earlier
    { -6, outcome, version }                                            same key, different request: nothing written
    { -2, current version }                                             version mismatch, nothing written
    { -9, current version }                                             the version matches, its created/updated times
                                                                        do not (another write made it): nothing written
    { -3 }                                                              expected a version but absent
    { -7, owner, lease expires ms }                                     leased, no token given: nothing written
    { -8, last token }                                                  not the live lease's token: nothing written
]]
-- @include common
-- Lua makes a closure of every function a script defines on every call: the checkpoint functions are defined only
-- for a write of WorkflowCheckpointSaver (ARGV[18]), not for every save and update.
local checkpoint = nil
if ARGV[18] then
-- @include checkpoints
  checkpoint = { root = cpRoot, put = cpPut, putWrites = cpPutWrites }
end
local now = nowMs()
setIndexFloor(ARGV[17])
local replay = replayOf(KEYS[2], ARGV[7], KEYS[1], KEYS[6])
if replay then return replay end
local keep = tonumber(ARGV[15])
-- The whole record only when the history keeps it; otherwise its header is all this needs.
local oldRecord = nil
local old = {}
if keep > 0 or ARGV[4] == '' or ARGV[18] then
  oldRecord = redis.call('GET', KEYS[1])
  if oldRecord then old = parseHeader(oldRecord, KEYS[1]) end
else
  old = readHeader(KEYS[1]) or {}
end
local version = old.v
-- An absent workflow has no lease (whatever an earlier, expired life left is dropped below).
local lease = version and readLease(KEYS[9], ARGV[1]) or nil
local refused = fence(lease, ARGV[16], now)
if refused then return refused end
if ARGV[6] ~= '' then
  local expected, created, updated = string.match(ARGV[6], '^(%d+)|(%-?%d+)|(%-?%d+)$')
  if not expected then expected = ARGV[6] end
  if not version then return { -3 } end
  if version ~= tonumber(expected) then return { -2, version } end
  if created and (tonumber(created) ~= tonumber(old.c) or tonumber(updated) ~= tonumber(old.u)) then return { -9, version } end
end

local wtype = ARGV[2] ~= '' and ARGV[2] or old.t or ARGV[10]
local status = ARGV[3] ~= '' and ARGV[3] or old.s or ARGV[11]
local ttl = tonumber(ARGV[5] ~= '' and ARGV[5] or old.l or ARGV[12])
local created = old.c or now
version = (version or 0) + 1
local expireAt = now + ttl * 1000
local feed = feedOf(ARGV[13], ARGV[14])
local labelsKnown = version > 1 and old or nil
if version == 1 then
  -- An id in no index has no labels to read.
  if observeExpired(KEYS[3], KEYS[4], KEYS[5], KEYS[7], KEYS[8], KEYS[9], KEYS[10], feed, ARGV[1], now) then labelsKnown = false end
  -- A lease an earlier life left (its index already gone) is not this workflow's.
  dropLease(KEYS[9], KEYS[10], KEYS[3], ARGV[1])
  -- ... and neither are checkpoints it left.
  redis.call('DEL', KEYS[11], KEYS[12])
end
if oldRecord then
  keepVersion(KEYS[6], keep, version - 1, oldRecord, expireAt)
elseif keep == 0 then
  -- History off: what an earlier setting kept goes, so no stale version is ever listed.
  redis.call('DEL', KEYS[6])
end
-- The stored state, cut out of the old record only when it is kept.
local function oldState()
  return oldRecord and string.sub(oldRecord, string.find(oldRecord, '\n', 1, true) + 1) or '{}'
end
local state = ARGV[4] ~= '' and ARGV[4] or oldState()
-- A thread's root checkpoint or interrupt: an older one than the thread has seen leaves its summary alone.
if ARGV[19] == '' and (ARGV[18] == 'c' or ARGV[18] == 'w') then
  local verdict = checkpoint.root(KEYS[11], ARGV[20], ARGV[18] == 'w')
  if verdict == 'interrupted' then
    status = 'interrupted'
  elseif verdict == 'stale' then
    status, state = old.s or status, oldState()
  end
end
writeRecord(KEYS[1], headerOf(version, created, now, expireAt, ttl, wtype, status), state, expireAt)
if ARGV[18] == 'c' then
  checkpoint.put(KEYS[11], KEYS[12], ARGV[19], ARGV[20], ARGV[21], ARGV[22], ARGV[23], ARGV[24], tonumber(ARGV[25]), ARGV[26], ARGV, 27)
elseif ARGV[18] == 'w' then
  checkpoint.putWrites(KEYS[11], ARGV[19], ARGV[20], ARGV[21], ARGV, 22)
end
cpFollow(KEYS[11], KEYS[12], expireAt)
-- The record this write replaces names the labels its id is indexed under.
reindex(KEYS[3], KEYS[4], KEYS[5], ARGV[1], wtype, status, version, expireAt, ttl, labelsKnown)
rememberKey(KEYS[2], ARGV[7], version == 1 and 'C' or 'W', version, created, now, tonumber(ARGV[8]), expireAt)
afterWrite(KEYS[9], KEYS[10], KEYS[3], lease, ARGV[1], now, expireAt)
recordEvent(KEYS[7], KEYS[8], feed, version == 1 and 'C' or 'U', ARGV[1], version, wtype, status, now)
purge(KEYS[3], KEYS[4], KEYS[5], KEYS[7], KEYS[8], KEYS[9], KEYS[10], feed, now, tonumber(ARGV[9]))
return { 1, version, created, now, expireAt, wtype, status, ttl }
