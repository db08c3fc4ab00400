-- What a room's move must tell the lobby (room.lua's effects, carried by
-- game/moves.py): the room's new card (A.card), reaction times for the
-- players' records and today's fastest (A.records: {pid, ms, name}, A.day),
-- players who left the room (A.left: their pointer is cleared if it still
-- points to it) and a player kicked from it (A.kicked: their lobby says why).
-- Each part is safe to apply twice, and an older card than the one held is ignored.
if A.card then apply_card(A.card) end
for _, record in ipairs(A.records or {}) do
  local best = tonumber(call('HGET', K.player(record.pid), 'best') or '')
  if not best or record.ms < best then call('HSET', K.player(record.pid), 'best', record.ms) end
  local fastest, names = K.fastest(A.day), K.fastest_names(A.day)
  call('ZADD', fastest, 'LT', record.ms, record.pid)  -- a new player is added; a known one only improves
  call('ZREMRANGEBYRANK', fastest, A.fastest_kept, -1)
  call('HSET', names, record.pid, record.name)
  for _, key in ipairs({fastest, names}) do call('EXPIRE', key, 2 * 86400) end
end
for _, pid in ipairs(A.left or {}) do
  if player_room(pid) == A.code then set_player(pid, {room = '', role = ''}) end
end
if A.kicked then set_player(A.kicked, {kicked_from = A.code}) end
return finish({ok = true})
