-- Create a room (A.code, chosen by the caller) with the creator as host.
local e = require_name(A.pid) or require_present(A.pid)
if e then return e end
if redis.call('EXISTS', K.room(A.code)) == 1 then return fail(503, 'code collision') end
leave_queue(A.pid)
local current = player_room(A.pid)
if current then leave_room(A.pid, current) end
new_room(A.code, A.public)
seat(A.pid, A.code, 'player')
return finish({ok = true, room = A.code})
