-- A timed transition as a compare-and-set: it happens only if the room is
-- still in the expected round and phase and its deadline (due_at) has passed,
-- so any process may fire it, twice or late, and exactly one firing counts.
--   ready   -> the decoy, if one is pending this round, else GO
--   decoy   -> "get ready" again if GO is to follow, else the round is decided
--   go      -> the round is decided (results)
--   results -> the next round (planned by the caller, A.plan), or the match ends
local room = K.room
local state = call('HMGET', room, 'phase', 'round_id', 'due_at', 'round', 'rounds', 'decoy', 'then_go', 'go_after')
local phase, round_id = state[1], state[2]
if phase ~= A.phase or round_id ~= A.round_id then return finish({stale = true}) end
local due = tonumber(state[3] or '')
if not due then return finish({stale = true}) end
if NOW < due then return finish({wait_ms = due - NOW}) end
local function next_phase(name, lasts_ms, fields)
  call('HSET', room, 'phase', name, 'due_at', int(NOW + lasts_ms), unpack(fields or {}))
  room_changed()
  return finish({ok = true, round_id = round_id, phase = name, due_in_ms = lasts_ms})
end
if phase == 'ready' and state[6] == 'pending' then
  return next_phase('decoy', A.decoy_ms, {'decoy', 'shown', 'decoy_started', int(NOW)})
elseif phase == 'ready' then
  return next_phase('go', A.round_timeout_ms, {'go_started', int(NOW)})
elseif phase == 'decoy' and state[7] == '1' then
  return next_phase('ready', tonumber(state[8]))
elseif phase == 'decoy' or phase == 'go' then
  end_round()
  return finish({ok = true, round_id = round_id, phase = 'results', due_in_ms = A.results_pause_ms})
elseif tonumber(state[4]) < tonumber(state[5]) then
  local next_round_id = start_round(A.plan)
  return finish({ok = true, round_id = next_round_id, phase = 'ready', due_in_ms = A.plan.delay_ms})
end
end_match()
if call('EXISTS', room) == 1 then room_changed() end
return finish({ok = true, phase = 'final'})
