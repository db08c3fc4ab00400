-- Presence: a stream closed. With no stream left the player is
-- "reconnecting" for a grace period, then gone.
redis.call('ZREM', K.conns(A.pid), A.conn)
redis.call('ZREMRANGEBYSCORE', K.conns(A.pid), '-inf', NOW)
if redis.call('ZCARD', K.conns(A.pid)) == 0 then
  redis.call('ZADD', K.presence(), NOW + A.grace_ms, A.pid)
  presence_changed_lobby()
  local code = player_room(A.pid)
  if code then notify(K.ch_room(code)) end
end
return finish({ok = true})
