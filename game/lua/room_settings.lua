-- The host sets the number of rounds between matches.
local e = require_host(A.pid, A.code)
if e then return e end
if R.IN_MATCH[room_field(A.code, 'phase')] then
  return fail(409, 'Settings can change only between matches.')
end
redis.call('HSET', K.room(A.code), 'rounds', A.rounds)
room_changed(A.code)
return finish({ok = true})
