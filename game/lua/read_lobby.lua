-- Read only: what the lobby shows (game/reads.py, LobbySnapshot), in one
-- round trip: who is online, the queue, and the public rooms, plus the room
-- a player was invited to (A.invite, or '').
local function card(code)
  local room = redis.call('HMGET', K.room(code), 'phase', 'max', 'public')
  if not room[1] then return nil end  -- gone
  return {code = code, phase = room[1], max = tonumber(room[2]), public = room[3] == '1',
          players = redis.call('ZCARD', K.players(code)), spectators = redis.call('ZCARD', K.spectators(code))}
end
local rooms = {}
for _, code in ipairs(redis.call('ZREVRANGE', K.public(), 0, A.public_rooms_shown - 1)) do
  local found = card(code)
  if found and found.public then rooms[#rooms + 1] = found end
end
return cjson.encode({
  online = redis.call('ZCOUNT', K.presence(), NOW, '+inf'),
  queue_len = redis.call('ZCARD', K.queue()),
  rooms = rooms,
  invited = A.invite ~= '' and card(A.invite) or false,
})
