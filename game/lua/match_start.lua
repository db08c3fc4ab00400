-- The host starts a match (or plays again): scores and the match's statistics
-- reset, the players' names kept for its record (who leaves stays on it),
-- round 1 gets ready (A.plan: see start_round).
local e = require_host(A.pid, A.code)
if e then return e end
if R.IN_MATCH[room_field(A.code, 'phase')] then return fail(409, 'The match has already started.') end
if redis.call('ZCARD', K.players(A.code)) < A.room_min_players then
  return fail(409, 'At least ' .. A.room_min_players .. ' players are needed to start.')
end
redis.call('DEL', K.scores(A.code), K.stats(A.code))
for _, pid in ipairs(redis.call('ZRANGE', K.players(A.code), 0, -1)) do
  redis.call('HSET', K.stats(A.code), 'name:' .. pid, player_name(pid) or '?')
end
redis.call('HSET', K.room(A.code), 'round', 0)
local round_id = start_round(A.code, A.plan)
return finish({ok = true, round_id = round_id, phase = 'ready', due_in_ms = A.plan.delay_ms})
