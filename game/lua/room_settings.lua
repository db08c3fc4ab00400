-- The host sets the match between matches: the number of rounds, decoys on or off.
local e = require_host(A.pid, A.code)
if e then return e end
if R.IN_MATCH[room_field(A.code, 'phase')] then
  return fail(409, 'Settings can change only between matches.')
end
local function given(value) return value ~= nil and value ~= cjson.null end
if given(A.rounds) then redis.call('HSET', K.room(A.code), 'rounds', A.rounds) end
if given(A.decoys) then redis.call('HSET', K.room(A.code), 'decoys', A.decoys and '1' or '0') end
room_changed(A.code)
return finish({ok = true})
