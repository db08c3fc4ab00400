-- Claim a name: unique (by its key: case and look-alikes folded, game/names.py)
-- among online players. A name lives as long as its player comes back.
if name_taken(A.key, A.pid) then return fail(409, NAME_TAKEN) end
local old_key = redis.call('HGET', K.player(A.pid), 'name_key')
if old_key and old_key ~= A.key and redis.call('GET', K.name(old_key)) == A.pid then
  redis.call('DEL', K.name(old_key))
end
redis.call('SET', K.name(A.key), A.pid, 'EX', A.player_ttl_s)
redis.call('HSETNX', K.player(A.pid), 'created', int(NOW))
set_player(A.pid, {name = A.name, name_key = A.key, addr = A.addr})
local code = player_room(A.pid)
if code then room_changed(code) end
return finish({ok = true})
