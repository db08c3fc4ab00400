-- What the lobby shows (game/reads.py, LobbySnapshot), in one round trip: who
-- is online, the queue, the open public rooms worth joining (rooms:public, in
-- its order, skipping rooms whose host is not online), and the room a player
-- was invited to (A.invite, or ''). A listed room that no longer exists (its
-- keys expired) is taken off the list here, so it can never hide a live one.
local function card(code)
  local room = redis.call('HMGET', K.room(code), 'phase', 'max', 'public', 'host')
  if not room[1] then return nil end  -- gone
  return {code = code, phase = room[1], max = tonumber(room[2]), public = room[3] == '1', host = room[4],
          players = redis.call('ZCARD', K.players(code)), spectators = redis.call('ZCARD', K.spectators(code))}
end
local rooms = {}
for _, code in ipairs(redis.call('ZREVRANGE', K.public(), 0, A.public_rooms_shown * 3 - 1)) do
  local found = card(code)
  if not found then
    redis.call('ZREM', K.public(), code)
  elseif #rooms < A.public_rooms_shown and found.host ~= '' and is_online(found.host) then
    rooms[#rooms + 1] = found
  end
end
-- Today's fastest (UTC): {name, ms}, best first (end_round in common.lua enters them).
local day = int(math.floor(NOW / DAY_MS))
local fastest, flat = {}, redis.call('ZRANGE', K.fastest(day), 0, A.fastest_kept - 1, 'WITHSCORES')
for i = 1, #flat, 2 do
  fastest[#fastest + 1] = {redis.call('HGET', K.fastest_names(day), flat[i]) or '?', tonumber(flat[i + 1])}
end
return cjson.encode({
  online = redis.call('ZCOUNT', K.presence(), NOW, '+inf'),
  fastest = fastest,
  queue_len = redis.call('ZCARD', K.queue()),
  rooms = rooms,
  invited = A.invite ~= '' and card(A.invite) or false,
})
