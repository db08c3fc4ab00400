-- Count one request against each of its limits (K.limit<i>: at most
-- A.limits[i][1] per A.limits[i][2] ms), in fixed windows shared by every
-- process. The counters of one client address share a slot, so a request's
-- are counted in one call (game/web/limits.py). Each counts, over or not.
-- Over any: {limited = true, retry_ms = until the last of those windows ends}.
local retry_ms
for i, limit in ipairs(A.limits) do
  local key = K['limit' .. i]
  local count = call('INCR', key)
  if count == 1 then call('PEXPIRE', key, limit[2]) end
  if count > limit[1] then retry_ms = math.max(retry_ms or 0, call('PTTL', key)) end
end
if retry_ms then return cjson.encode({limited = true, retry_ms = retry_ms}) end
return cjson.encode({ok = true})
