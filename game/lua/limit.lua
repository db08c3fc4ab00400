-- Count one request against each of its limits (A.limits: {name, count, window_ms}
-- each; the key is K.limit(name)), in fixed windows shared by every process.
-- Over any of them: {limited = true, retry_ms = until that window ends}.
local retry_ms = nil
for _, limit in ipairs(A.limits) do
  local key = K.limit(limit[1])
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, limit[3]) end
  if count > limit[2] then retry_ms = math.max(retry_ms or 0, redis.call('PTTL', key)) end
end
if retry_ms then return cjson.encode({limited = true, retry_ms = retry_ms}) end
return cjson.encode({ok = true})
