-- Presence: a stream opened on process A.proc. It counts as open until it
-- closes (disconnect.lua) or its process's lease runs out (lease.lua): no
-- heartbeat per stream. Everyone who shows this player is woken only when
-- the player comes online. Opening a stream renews the player's record and
-- name, and notes the network it came from (A.addr, a keyed hash: see room_kick.lua).
-- Past the cap on open streams, the oldest is told to close (on the player channel).
local was_online = redis.call('ZCARD', K.streams(A.pid)) > 0
redis.call('ZADD', K.streams(A.pid), NOW, A.stream)
redis.call('PEXPIRE', K.streams(A.pid), A.player_ttl_s * 1000)
redis.call('SADD', K.proc_streams(A.proc), A.pid .. ' ' .. A.stream)
redis.call('PEXPIRE', K.proc_streams(A.proc), A.lease_ms * 2)
if redis.call('ZCARD', K.streams(A.pid)) > A.max_streams then
  local oldest = redis.call('ZRANGE', K.streams(A.pid), 0, 0)[1]
  redis.call('ZREM', K.streams(A.pid), oldest)
  redis.call('SPUBLISH', K.ch_player(A.pid), R.EVICT .. oldest)
end
redis.call('ZADD', K.presence(), CONNECTED, A.pid)
redis.call('ZREMRANGEBYSCORE', K.presence(), '-inf', NOW - 3600000)
if redis.call('EXISTS', K.player(A.pid)) == 1 then
  redis.call('HSET', K.player(A.pid), 'addr', A.addr)
  redis.call('EXPIRE', K.player(A.pid), A.player_ttl_s)
  local name_keys = redis.call('HGET', K.player(A.pid), 'name_keys')
  for _, key in ipairs(name_keys and cjson.decode(name_keys) or {}) do
    if redis.call('GET', K.name(key)) == A.pid then redis.call('EXPIRE', K.name(key), A.player_ttl_s) end
  end
end
local code = player_room(A.pid)
if code then keep_room(code) end
if not was_online then
  lobby_changed()  -- one more online
  if code then notify(K.ch_room(code)) end
end
return finish({ok = true})
