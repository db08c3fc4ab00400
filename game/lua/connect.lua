-- Presence: a stream opened or sent its heartbeat. Everyone who shows this
-- player is woken only when the player comes online.
-- Stream ids start with their opening time, so the smallest is the oldest:
-- past the cap, the oldest stream is told to close (via the player channel).
local was_online = redis.call('ZCOUNT', K.conns(A.pid), NOW, '+inf') > 0
redis.call('ZREMRANGEBYSCORE', K.conns(A.pid), '-inf', NOW)
redis.call('ZADD', K.conns(A.pid), NOW + A.alive_ms, A.conn)
local open = redis.call('ZRANGE', K.conns(A.pid), 0, -1)
if #open > A.max_streams then
  table.sort(open)
  redis.call('ZREM', K.conns(A.pid), open[1])
  redis.call('PUBLISH', K.ch_player(A.pid), 'close:' .. open[1])
end
redis.call('PEXPIRE', K.conns(A.pid), A.alive_ms)
redis.call('ZADD', K.presence(), NOW + A.alive_ms, A.pid)
redis.call('ZREMRANGEBYSCORE', K.presence(), '-inf', NOW - 3600000)
local code = player_room(A.pid)
if code then keep_room(code) end
if not was_online then
  presence_changed_lobby()
  if code then notify(K.ch_room(code)) end
end
return finish({ok = true})
