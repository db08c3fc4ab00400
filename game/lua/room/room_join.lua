-- Join this room as a player or a spectator (A.role), with what the room
-- keeps of the player (A.member). Leaving the queue and any other room is the
-- caller's next step (game/moves.py), so nobody stays in two places at once.
if not room_exists() then return fail(404, 'There is no room with that code.') end
if kicked(A.pid, A.member.addr or '', A.member.created) then
  return fail(403, 'The host removed you from this room.')
end
local known = member(A.pid)
local seated = call('ZSCORE', K.players, A.pid)
local watching = call('ZSCORE', K.spectators, A.pid)
if (A.role == 'player' and seated) or (A.role == 'spectator' and watching) then
  return finish({ok = true, room = CODE})
end
if A.role == 'player' then
  if R.IN_MATCH[room_field('phase')] then
    return fail(409, 'A match is on in this room: you can watch as a spectator.')
  end
  if call('ZCARD', K.players) >= tonumber(room_field('max')) then
    return fail(409, 'This room is full: you can watch as a spectator.')
  end
elseif seated and R.IN_MATCH[room_field('phase')] then
  return fail(409, 'You are playing in this match.')
elseif call('ZCARD', K.spectators) >= A.max_spectators then
  return fail(409, 'This room has as many spectators as it can take.')
end
if seated and room_field('host') == A.pid then
  -- A host who steps down to watch hands the room over.
  call('ZREM', K.players, A.pid)
  call('HSET', K.room, 'host', online_player())
end
local m = A.member
if known then m.best = known.best or m.best end
seat(A.pid, A.role, m)
return finish({ok = true, room = CODE})
