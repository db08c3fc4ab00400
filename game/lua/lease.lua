-- A process renews its lease, once a heartbeat: its streams count as open
-- while it lasts, so they need no heartbeat of their own in Redis. The rooms
-- its streams show are kept from expiring.
-- A process whose lease ran out is gone (killed, or stalled): its streams are
-- closed here, as if each had disconnected. `renewed` is false when this
-- process's own lease had run out (or is new): it must register its streams again.
local renewed = redis.call('ZADD', K.procs(), NOW + A.lease_ms, A.proc) == 0
redis.call('PEXPIRE', K.proc_streams(A.proc), A.lease_ms * 2)  -- outlives its process by a lease at most
local gone = {}
for _, proc in ipairs(redis.call('ZRANGEBYSCORE', K.procs(), '-inf', NOW)) do
  for _, entry in ipairs(redis.call('SMEMBERS', K.proc_streams(proc))) do
    local pid, stream = string.match(entry, '^(%S+) (%S+)$')
    if drop_stream(pid, stream, proc) then gone[#gone + 1] = pid end
  end
  redis.call('DEL', K.proc_streams(proc))
  redis.call('ZREM', K.procs(), proc)
end
for _, code in ipairs(A.rooms) do
  if redis.call('EXISTS', K.room(code)) == 1 then keep_room(code) end
end
return finish({ok = true, renewed = renewed, gone = gone})
