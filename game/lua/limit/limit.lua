-- Count one request against one limit (K.limit: A.count per A.window_ms), in
-- fixed windows shared by every process. Each limit is its own key, so each
-- is one call in its own slot (game/web/limits.py asks for them together).
-- Over it: {limited = true, retry_ms = until that window ends}.
local count = call('INCR', K.limit)
if count == 1 then call('PEXPIRE', K.limit, A.window_ms) end
if count > A.count then return cjson.encode({limited = true, retry_ms = call('PTTL', K.limit)}) end
return cjson.encode({ok = true})
