-- The host removes a player or spectator, named by seat number (the page
-- never holds player ids). They cannot come back to this room, and, until
-- this room's match ends, neither can anyone named since the kick from the
-- same network (a fresh cookie does not undo a kick; classmates who were
-- already playing are not affected). Their lobby is told why (EFFECTS.kicked).
local e = require_host(A.pid)
if e then return e end
local target = call('ZRANGEBYSCORE', K.players, A.seat, A.seat)[1]
  or call('ZRANGEBYSCORE', K.spectators, A.seat, A.seat)[1]
if not target then return fail(404, 'That player is not in this room.') end
if target == A.pid then return fail(400, 'You cannot kick yourself.') end
call('HSET', K.kicked, target, int(NOW))
local m = member(target)
if m and m.addr and m.addr ~= '' then call('HSET', K.kicked, 'addr:' .. m.addr, int(NOW)) end
leave_room(target)
EFFECTS.kicked = target
return finish({ok = true})
