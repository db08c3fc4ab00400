-- A player's record points to the room they are in (a hint the seats decide:
-- see room.lua). Set (A.code, A.role) right after a room seated them: the room
-- it pointed to before is returned (`previous`), and the caller leaves it, so
-- of two joins at once the later one wins and the other seat is given up.
-- Cleared (A.clear) only if it still points to A.code: a later join stands.
local current = player_room(A.pid)
if A.clear then
  if current == A.code then set_player(A.pid, {room = '', role = ''}) end
  return finish({ok = true})
end
leave_queue(A.pid)
call('HDEL', K.player(A.pid), 'matched')
set_player(A.pid, {room = A.code, role = A.role})
if call('HGET', K.player(A.pid), 'kicked_from') ~= A.code then call('HDEL', K.player(A.pid), 'kicked_from') end
return finish({ok = true, previous = (current ~= A.code and current) or false})
