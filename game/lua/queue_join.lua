-- Join the quick-play queue; as soon as enough players wait, the oldest are
-- moved together into a new public room (A.code, chosen by the caller).
local e = require_name(A.pid) or require_present(A.pid)
if e then return e end
if player_room(A.pid) then return fail(409, 'Leave your room before using quick play.') end
-- A quick-play room still waiting for its match takes the player at once.
for _, code in ipairs(redis.call('ZRANGE', K.quick(), 0, -1)) do
  local host = room_field(code, 'host')
  if host and host ~= '' and is_online(host) and not kicked(code, A.pid, A.addr) then
    leave_queue(A.pid)
    seat(A.pid, code, 'player')
    return finish({ok = true, room = code})
  end
end
if not redis.call('ZSCORE', K.queue(), A.pid) then
  if redis.call('ZCARD', K.queue()) >= A.max_queue then
    return fail(503, 'The queue is full right now; try again in a moment.')
  end
  redis.call('ZADD', K.queue(), redis.call('INCR', K.queue_seq()), A.pid)
  lobby_changed()
  notify(K.ch_player(A.pid))
end
-- Players whose tabs are gone do not get matched.
for _, pid in ipairs(redis.call('ZRANGE', K.queue(), 0, -1)) do
  if not is_online(pid) and pid ~= A.pid then leave_queue(pid) end
end
local waiting = redis.call('ZRANGE', K.queue(), 0, A.room_max_players - 1)
if #waiting < A.room_min_players then return finish({ok = true, queued = true}) end
if redis.call('EXISTS', K.room(A.code)) == 1 then return fail(503, 'code collision') end
new_room(A.code, true, true)
for _, pid in ipairs(waiting) do
  leave_queue(pid)
  seat(pid, A.code, 'player')
end
return finish({ok = true, room = A.code})
