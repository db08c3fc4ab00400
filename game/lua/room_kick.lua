-- The host removes a player or spectator, named by seat number (the page
-- never holds player ids). They cannot come back to this room, and, until
-- this room's match ends, neither can anyone named since the kick from the
-- same network (a fresh cookie does not undo a kick; classmates who were
-- already playing are not affected).
local e = require_host(A.pid, A.code)
if e then return e end
local target = redis.call('ZRANGEBYSCORE', K.players(A.code), A.seat, A.seat)[1]
  or redis.call('ZRANGEBYSCORE', K.spectators(A.code), A.seat, A.seat)[1]
if not target then return fail(404, 'That player is not in this room.') end
if target == A.pid then return fail(400, 'You cannot kick yourself.') end
redis.call('HSET', K.kicked(A.code), target, int(NOW))
local addr = redis.call('HGET', K.player(target), 'addr')
if addr then redis.call('HSET', K.kicked(A.code), 'addr:' .. addr, int(NOW)) end
leave_room(target, A.code)
redis.call('HSET', K.player(target), 'kicked_from', A.code)  -- their lobby tells them, and why
notify(K.ch_player(target))
return finish({ok = true})
