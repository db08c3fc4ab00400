-- Claim a name: none of its keys (game/names.py: the same name in another
-- case, or a look-alike) is held by another player online. A name lives as
-- long as its player comes back within the hour (connect.lua holds it again).
-- The caller shows it in the player's room (`room`: room_rename.lua).
if name_taken(A.keys, A.pid) then return fail(409, NAME_TAKEN) end
release_names(A.pid)
for _, key in ipairs(A.keys) do call('HSET', K.names, key, A.pid) end
call('HSET', K.names, 'pid:' .. A.pid, cjson.encode(A.keys))
call('HSETNX', K.player(A.pid), 'created', int(NOW))
set_player(A.pid, {name = A.name, name_keys = cjson.encode(A.keys), addr = A.addr})
return finish({ok = true, room = player_room(A.pid) or false})
