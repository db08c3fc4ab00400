-- A player's grace period ran out with no stream back: they leave the queue,
-- and a room that is not mid-match. Mid-match they keep the seat (they may
-- come back) but hand over the host role. A no-op if they came back.
if is_online(A.pid) then return finish({ok = true}) end
presence_changed_lobby()  -- one fewer online
leave_queue(A.pid)
local code = player_room(A.pid)
if code then
  if not R.IN_MATCH[room_field(code, 'phase')] then
    leave_room(A.pid, code)
  elseif room_field(code, 'host') == A.pid then
    for _, pid in ipairs(redis.call('ZRANGE', K.players(code), 0, -1)) do
      if is_online(pid) then
        redis.call('HSET', K.room(code), 'host', pid)
        room_changed(code)
        break
      end
    end
  end
end
return finish({ok = true})
