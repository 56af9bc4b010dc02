#!lua
--[[
  Stores pending writes of one task for a thread's checkpoint (WorkflowCheckpointSaver.putWrites) without writing
  the thread's workflow: they expire with it. (A write that changes the thread's status, an interrupt, goes through
  save-12 instead.)
  KEYS[1] rec  KEYS[2] cpg  KEYS[3] cpo   (see includes/common.lua, includes/checkpoints.lua)
  ARGV[1] namespace  ARGV[2] checkpoint id  ARGV[3] task id  then pairs of idx, record
  Returns:
    { 1, writes newly stored }
    { -3 }                        the thread's workflow does not exist (expired, deleted): nothing written
]]
-- @include common
-- @include checkpoints
local header = readHeader(KEYS[1])
if not header then return { -3 } end
local added = cpPutWrites(KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV, 4)
cpFollow(KEYS[2], KEYS[3], header.e)
return { 1, added }
