-- The host starts a match (or plays again): scores and the match's statistics
-- reset, the players' names kept for its record (who leaves stays on it),
-- round 1 gets ready (A.plan: see start_round).
local e = require_host(A.pid)
if e then return e end
if R.IN_MATCH[room_field('phase')] then return fail(409, 'The match has already started.') end
if call('ZCARD', K.players) < A.room_min_players then
  return fail(409, 'At least ' .. A.room_min_players .. ' players are needed to start.')
end
call('DEL', K.scores, K.stats)
for _, pid in ipairs(call('ZRANGE', K.players, 0, -1)) do
  call('HSET', K.stats, 'name:' .. pid, player_name(pid) or '?')
end
call('HSET', K.room, 'round', 0)
local round_id = start_round(A.plan)
return finish({ok = true, round_id = round_id, phase = 'ready', due_in_ms = A.plan.delay_ms})
