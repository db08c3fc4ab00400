-- A timed transition as a compare-and-set: it happens only if the room is
-- still in the expected round and phase and the deadline has passed, so any
-- process may fire it, twice or late, and exactly one firing counts.
local room = K.room(A.code)
local state = redis.call('HMGET', room, 'phase', 'round_id', 'go_at', 'ends_at', 'next_at', 'round', 'rounds')
local phase, round_id = state[1], state[2]
if phase ~= A.phase or round_id ~= A.round_id then return finish({stale = true}) end
local deadline = {ready = state[3], go = state[4], results = state[5]}
local due = tonumber(deadline[phase] or '')
if not due then return finish({stale = true}) end
if NOW < due then return finish({wait_ms = due - NOW}) end
if phase == 'ready' then
  redis.call('HSET', room, 'phase', 'go', 'go_started', int(NOW), 'ends_at', int(NOW + A.round_timeout_ms))
  room_changed(A.code)
  return finish({ok = true, round_id = round_id, phase = 'go', due_in_ms = A.round_timeout_ms})
elseif phase == 'go' then
  end_round(A.code)
  return finish({ok = true, round_id = round_id, phase = 'results', due_in_ms = A.results_pause_ms})
elseif tonumber(state[6]) < tonumber(state[7]) then
  local next_round_id = start_round(A.code, A.delay_ms)
  return finish({ok = true, round_id = next_round_id, phase = 'ready', due_in_ms = A.delay_ms})
end
end_match(A.code)
if redis.call('EXISTS', room) == 1 then room_changed(A.code) end
return finish({ok = true, phase = 'final'})
