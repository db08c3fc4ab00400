-- Claim a name: none of its keys (game/names.py: the same name in another
-- case, or a look-alike) is held by another player online. A name lives as
-- long as its player comes back (connect.lua renews its keys).
if name_taken(A.keys, A.pid) then return fail(409, NAME_TAKEN) end
local old_keys = redis.call('HGET', K.player(A.pid), 'name_keys')
for _, key in ipairs(old_keys and cjson.decode(old_keys) or {}) do
  if redis.call('GET', K.name(key)) == A.pid then redis.call('DEL', K.name(key)) end
end
for _, key in ipairs(A.keys) do redis.call('SET', K.name(key), A.pid, 'EX', A.player_ttl_s) end
redis.call('HSETNX', K.player(A.pid), 'created', int(NOW))
set_player(A.pid, {name = A.name, name_keys = cjson.encode(A.keys), addr = A.addr})
local code = player_room(A.pid)
if code then room_changed(code) end
return finish({ok = true})
