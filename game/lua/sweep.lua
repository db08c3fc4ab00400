-- A player's grace period ran out with no stream back: they leave the queue,
-- and a room that is not mid-match. Mid-match they keep the seat (they may
-- come back) but hand over the host role to a player who is online; when
-- nobody in the match is online any more, the match ends and the gone
-- players leave (an empty room is deleted). A no-op if they came back.
if is_online(A.pid) then return finish({ok = true}) end
lobby_changed()  -- one fewer online
leave_queue(A.pid)
local code = player_room(A.pid)
if not code then return finish({ok = true}) end
if not R.IN_MATCH[room_field(code, 'phase')] then
  leave_room(A.pid, code)
elseif online_player(code) == '' then
  end_match(code)
  if redis.call('EXISTS', K.room(code)) == 1 then room_changed(code) end
elseif room_field(code, 'host') == A.pid then
  redis.call('HSET', K.room(code), 'host', online_player(code))
  room_changed(code)
end
return finish({ok = true})
