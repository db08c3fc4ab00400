-- Presence: a stream closed. With no stream left the player is
-- "reconnecting" for a grace period, then gone (sweep.lua).
return finish({ok = true, last = drop_stream(A.pid, A.stream, A.proc)})
