-- A process renews its lease, once a heartbeat: its streams count as open
-- while it lasts, so they need no heartbeat of their own in Redis.
-- A process whose lease ran out is gone (killed, or stalled): its streams are
-- closed here, as if each had disconnected (A.gone_procs: the ones the caller
-- found expired, their keys declared; one not expired any more is left alone).
-- `renewed` is false when this process's own lease had run out (or is new):
-- it must register its streams again. `gone`: players whose last stream closed.
local renewed = call('ZADD', K.procs, NOW + A.lease_ms, A.proc) == 0
call('PEXPIRE', K.proc_streams(A.proc), A.lease_ms * 2)  -- outlives its process by a lease at most
local gone = {}
for _, proc in ipairs(A.gone_procs or {}) do
  local until_ms = call('ZSCORE', K.procs, proc)
  if until_ms and tonumber(until_ms) <= NOW then
    for _, entry in ipairs(call('SMEMBERS', K.proc_streams(proc))) do
      local pid, stream = string.match(entry, '^(%S+) (%S+)$')
      if drop_stream(pid, stream, proc) then gone[#gone + 1] = pid end
    end
    call('DEL', K.proc_streams(proc))
    call('ZREM', K.procs, proc)
  end
end
return finish({ok = true, renewed = renewed, gone = gone})
