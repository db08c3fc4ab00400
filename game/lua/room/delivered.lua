-- Delivery bookkeeping: when a phase of this round first reached these
-- players' connections. "ready" starts the round-trip probe (seen.lua ends
-- it); "go" starts the clock that bounds a buzz's claimed time (buzz.lua).
local state = call('HMGET', K.room, 'phase', 'round_id')
if state[1] == A.phase and state[2] == A.round_id then
  local field = ({ready = 'probe:', go = 'sent:'})[A.phase]
  for _, pid in ipairs(A.pids) do
    call('HSETNX', K.presses, field .. pid, int(NOW))
  end
end
return finish({ok = true})
