-- The host sets the match between matches: the number of rounds, decoys on or off.
local e = require_host(A.pid)
if e then return e end
if R.IN_MATCH[room_field('phase')] then
  return fail(409, 'Settings can change only between matches.')
end
local function given(value) return value ~= nil and value ~= cjson.null end
if given(A.rounds) then call('HSET', K.room, 'rounds', A.rounds) end
if given(A.decoys) then call('HSET', K.room, 'decoys', A.decoys and '1' or '0') end
room_changed()
return finish({ok = true})
