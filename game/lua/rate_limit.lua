-- Count a player's command in a fixed window shared by every process.
local key = K.rate(A.pid)
local count = redis.call('INCR', key)
if count == 1 then redis.call('PEXPIRE', key, A.window_ms) end
if count > A.limit then
  return cjson.encode({limited = true, retry_ms = redis.call('PTTL', key)})
end
return cjson.encode({ok = true})
