-- The host removes a player or spectator, who cannot come back to this room.
local e = require_host(A.pid, A.code)
if e then return e end
if A.target == A.pid then return fail(400, 'You cannot kick yourself.') end
if player_room(A.target) ~= A.code then return fail(404, 'That player is not in this room.') end
redis.call('SADD', K.kicked(A.code), A.target)
leave_room(A.target, A.code)
return finish({ok = true})
