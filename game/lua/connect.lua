-- Presence: a stream opened on process A.proc. It counts as open until it
-- closes (disconnect.lua) or its process's lease runs out (lease.lua): no
-- heartbeat per stream. Everyone who shows this player is woken only when
-- the player comes online.
-- Stream ids start with their opening time, so the smallest is the oldest:
-- past the cap, the oldest stream is told to close (via the player channel).
local was_online = redis.call('ZCARD', K.conns(A.pid)) > 0
redis.call('ZADD', K.conns(A.pid), NOW, A.conn)
redis.call('PEXPIRE', K.conns(A.pid), A.player_ttl_s * 1000)
redis.call('SADD', K.proc_conns(A.proc), A.pid .. ' ' .. A.conn)
local open = redis.call('ZRANGE', K.conns(A.pid), 0, -1)
if #open > A.max_streams then
  table.sort(open)
  redis.call('ZREM', K.conns(A.pid), open[1])
  redis.call('PUBLISH', K.ch_player(A.pid), 'close:' .. open[1])
end
redis.call('ZADD', K.presence(), CONNECTED, A.pid)
redis.call('ZREMRANGEBYSCORE', K.presence(), '-inf', NOW - 3600000)
local code = player_room(A.pid)
if code then keep_room(code) end
if not was_online then
  presence_changed_lobby()
  if code then notify(K.ch_room(code)) end
end
return finish({ok = true})
