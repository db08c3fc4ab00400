-- Delivery bookkeeping: when GO first reached these players (caps their time).
local state = redis.call('HMGET', K.room(A.code), 'phase', 'round_id')
if state[1] == 'go' and state[2] == A.round_id then
  for _, pid in ipairs(A.pids) do
    redis.call('HSETNX', K.presses(A.code), 'sent:' .. pid, int(NOW))
  end
end
return finish({ok = true})
