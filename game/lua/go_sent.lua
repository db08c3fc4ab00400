-- Delivery bookkeeping: when GO first reached these players (caps their time).
local state = redis.call('HMGET', K.room(A.code), 'phase', 'rid')
if state[1] == 'go' and state[2] == A.rid then
  for _, pid in ipairs(A.pids) do
    redis.call('HSETNX', K.round(A.code), 'sent:' .. pid, int(NOW))
  end
end
return finish({ok = true})
