-- Claim a name: unique (case-insensitively) among online players.
if name_taken(A.key, A.pid) then return fail(409, NAME_TAKEN) end
local old_key = redis.call('HGET', K.player(A.pid), 'name_key')
if old_key and old_key ~= A.key and redis.call('HGET', K.names(), old_key) == A.pid then
  redis.call('HDEL', K.names(), old_key)
end
redis.call('HSET', K.names(), A.key, A.pid)
set_player(A.pid, {name = A.name, name_key = A.key})
local code = player_room(A.pid)
if code then room_changed(code) end
return finish({ok = true})
