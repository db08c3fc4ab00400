-- Delivery bookkeeping: when GO first reached this player (caps their time).
local state = redis.call('HMGET', K.room(A.code), 'phase', 'rid')
if state[1] == 'go' and state[2] == A.rid then
  redis.call('HSETNX', K.round(A.code), 'sent:' .. A.pid, int(NOW))
end
return finish({ok = true})
