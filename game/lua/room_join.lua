-- Join a room as a player or a spectator; joining leaves the queue and any
-- other room, so nobody is ever in two places at once.
local e = require_name(A.pid) or require_present(A.pid)
if e then return e end
if redis.call('EXISTS', K.room(A.code)) == 0 then
  return fail(404, 'There is no room with that code.')
end
if kicked(A.code, A.pid, A.addr) then return fail(403, 'The host removed you from this room.') end
local current = player_room(A.pid)
local seated = redis.call('ZSCORE', K.players(A.code), A.pid)
if current == A.code and (seated ~= false) == (A.role == 'player') then
  return finish({ok = true, room = A.code})
end
if A.role == 'player' then
  if R.IN_MATCH[room_field(A.code, 'phase')] then
    return fail(409, 'A match is on in this room: you can watch as a spectator.')
  end
  if redis.call('ZCARD', K.players(A.code)) >= tonumber(room_field(A.code, 'max')) then
    return fail(409, 'This room is full: you can watch as a spectator.')
  end
elseif seated and R.IN_MATCH[room_field(A.code, 'phase')] then
  return fail(409, 'You are playing in this match.')
elseif redis.call('ZCARD', K.spectators(A.code)) >= A.max_spectators then
  return fail(409, 'This room has as many spectators as it can take.')
end
leave_queue(A.pid)
if current and current ~= A.code then leave_room(A.pid, current) end
if seated and room_field(A.code, 'host') == A.pid then
  -- A host who steps down to watch hands the room over.
  redis.call('ZREM', K.players(A.code), A.pid)
  redis.call('HSET', K.room(A.code), 'host', online_player(A.code))
end
seat(A.pid, A.code, A.role)
return finish({ok = true, room = A.code})
