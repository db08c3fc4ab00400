-- Before a player takes a seat or opens a room: they have a name and a
-- stream open (squatters cannot). Returns what a room keeps of them
-- (room.lua, seat) and the room their record points to.
local e = require_name(A.pid) or require_present(A.pid)
if e then return e end
local p = call('HMGET', K.player(A.pid), 'name', 'created', 'addr', 'best', 'room')
local presence = tonumber(call('ZSCORE', K.presence, A.pid) or '0')
return finish({
  member = {name = p[1], created = tonumber(p[2] or '0'), addr = p[3] or '', best = tonumber(p[4] or ''),
            ['until'] = presence},
  room = (p[5] and p[5] ~= '') and p[5] or false,
})
