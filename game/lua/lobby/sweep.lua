-- A player's grace period ran out with no stream back: they leave the queue,
-- and the caller tells their room (`room`: room_sweep.lua). A no-op if they came back.
if is_online(A.pid) then return finish({ok = true, room = false}) end
lobby_changed()  -- one fewer online
leave_queue(A.pid)
return finish({ok = true, room = player_room(A.pid) or false})
