-- A player's press. Before GO (or on a decoy) it is a false start. After GO the reaction time
-- measured by the browser is checked against the server's clock, from both
-- sides: no longer than the time the server saw elapse since it sent GO to
-- this player (plus a tolerance), and no shorter than that time less the
-- player's measured round trip (seen.lua; at most A.rtt_cap_ms, which is also
-- what a player with no measurement is granted) and a slack. Under the human
-- floor it is a false start. The round ends when every player has pressed.
if call('ZSCORE', K.players, A.pid) == false then
  return fail(403, 'Only players in this match can buzz.')
end
local state = call('HMGET', K.room, 'phase', 'round_id', 'go_started')
local phase, round_id = state[1], state[2]
if round_id ~= A.round_id or not (phase == 'ready' or phase == 'decoy' or phase == 'go') then
  return fail(409, 'That round is over.')
end
if call('HEXISTS', K.presses, 'p:' .. A.pid) == 1 then
  return fail(409, 'You already pressed in this round.')
end
local result = 'early'
if phase == 'go' and not A.early then
  local sent = tonumber(call('HGET', K.presses, 'sent:' .. A.pid) or state[3])
  local elapsed = NOW - sent
  local ms = A.ms
  if ms > elapsed + A.reaction_tolerance_ms then ms = elapsed end
  local measured = tonumber(call('HGET', K.presses, 'rtt:' .. A.pid) or A.rtt_cap_ms)
  local rtt = math.min(measured, A.rtt_cap_ms)
  local fastest = elapsed - rtt - A.rtt_slack_ms
  if ms < fastest then ms = fastest end
  if ms >= A.human_floor_ms then result = int(ms) end
end
call('HSET', K.presses, 'p:' .. A.pid, result)
if all_pressed() then
  end_round()
  return finish({ok = true, result = result, round_id = A.round_id, phase = 'results', due_in_ms = A.results_pause_ms})
end
room_changed()
return finish({ok = true, result = result})
