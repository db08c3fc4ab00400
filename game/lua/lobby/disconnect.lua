-- Presence: a stream closed. With no stream left the player is
-- "reconnecting" for a grace period, then gone (sweep.lua); the caller tells
-- their room (`room`) when this was the last.
local last = drop_stream(A.pid, A.stream, A.proc)
return finish({ok = true, last = last, room = player_room(A.pid) or false})
