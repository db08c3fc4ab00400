-- Join the quick-play queue. A quick-play room still waiting for its match
-- takes the player at once (`join`: the caller seats them, skipping the rooms
-- in A.skip that refused). Otherwise the player waits; as soon as enough
-- players wait, the oldest leave the queue together (`match`: the caller
-- opens a room for them, A.code unless taken, room_match.lua, with what each
-- room keeps: `members`).
local e = require_name(A.pid) or require_present(A.pid)
if e then return e end
-- Matched meanwhile by another player's call (below): this call is done. A new
-- call (not A.again) forgets a match its room never came of.
local matched = player_field(A.pid, 'matched')
if matched and A.again then return finish({ok = true, room = matched}) end
if matched then call('HDEL', K.player(A.pid), 'matched') end
if player_room(A.pid) then return fail(409, 'Leave your room before using quick play.') end
local skip = {}
for _, code in ipairs(A.skip or {}) do skip[code] = true end
for _, code in ipairs(call('ZRANGE', K.quick, 0, -1)) do
  if not skip[code] and card_of(code) then
    leave_queue(A.pid)
    return finish({ok = true, join = code})
  end
end
if not call('ZSCORE', K.queue, A.pid) then
  if call('ZCARD', K.queue) >= A.max_queue then
    return fail(503, 'The queue is full right now; try again in a moment.')
  end
  call('ZADD', K.queue, call('INCR', K.queue_seq), A.pid)
  lobby_changed()
  notify(K.ch_player(A.pid))
end
-- Players whose tabs are gone do not get matched.
for _, pid in ipairs(call('ZRANGE', K.queue, 0, -1)) do
  if not is_online(pid) and pid ~= A.pid then leave_queue(pid) end
end
-- The oldest who wait: the caller read the queue's head just before and declared
-- their records; if it changed since, it reads again (`retry`, then A.again: by
-- then another player's call may have matched this one into a room).
local waiting = call('ZRANGE', K.queue, 0, A.room_max_players - 1)
for _, pid in ipairs(waiting) do
  if not K['player:' .. pid] then return finish({ok = true, queued = true, retry = true}) end
end
if #waiting < A.room_min_players then return finish({ok = true, queued = true}) end
local members = {}
for _, pid in ipairs(waiting) do
  leave_queue(pid)
  call('HSET', K.player(pid), 'matched', A.code)  -- until their seat is theirs (pointer.lua)
  local p = call('HMGET', K.player(pid), 'name', 'created', 'addr', 'best')
  members[pid] = {name = p[1], created = tonumber(p[2] or '0'), addr = p[3] or '', best = tonumber(p[4] or ''),
                  ['until'] = tonumber(call('ZSCORE', K.presence, pid) or '0')}
end
return finish({ok = true, match = waiting, members = members})
