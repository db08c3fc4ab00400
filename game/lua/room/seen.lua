-- The player's page shows "get ready": the round trip from the moment that
-- view left the server (delivered.lua) to this answer is the player's
-- round-trip time for this round, kept once (buzz.lua bounds a claim with it).
-- A late answer (the round moved on) is simply not counted.
local state = call('HMGET', K.room, 'phase', 'round_id')
local probe = call('HGET', K.presses, 'probe:' .. A.pid)
if state[2] == A.round_id and state[1] == 'ready' and probe then
  call('HSETNX', K.presses, 'rtt:' .. A.pid, int(NOW - tonumber(probe)))
end
return finish({ok = true})
