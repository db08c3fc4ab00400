-- Claim a name: none of its keys (game/names.py: the same name in another
-- case, or a look-alike) is held by another player online.
if name_taken(A.keys, A.pid) then return fail(409, NAME_TAKEN) end
local old_keys = redis.call('HGET', K.player(A.pid), 'name_keys')
for _, key in ipairs(old_keys and cjson.decode(old_keys) or {}) do
  if redis.call('HGET', K.names(), key) == A.pid then redis.call('HDEL', K.names(), key) end
end
for _, key in ipairs(A.keys) do redis.call('HSET', K.names(), key, A.pid) end
set_player(A.pid, {name = A.name, name_keys = cjson.encode(A.keys)})
local code = player_room(A.pid)
if code then room_changed(code) end
return finish({ok = true})
