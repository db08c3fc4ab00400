-- Read only: everything about a room that is the same for every viewer
-- (game/reads.py, RoomSnapshot), in one round trip. {} if the room is gone.
local room = hash(K.room(A.code))
if next(room) == nil then return cjson.encode({}) end
local players, seats = {}, {}
local flat = redis.call('ZRANGE', K.players(A.code), 0, -1, 'WITHSCORES')
for i = 1, #flat, 2 do players[#players + 1] = flat[i]; seats[flat[i]] = tonumber(flat[i + 1]) end
local spectators = redis.call('ZRANGE', K.spectators(A.code), 0, A.spectators_shown - 1)
local names, presence, presence_changes_in_ms = {}, {}, false
for _, list in ipairs({players, spectators}) do
  for _, pid in ipairs(list) do names[pid] = player_name(pid) or false end
end
-- online: a stream open; reconnecting: none, within the grace period; gone.
for _, pid in ipairs(players) do
  local until_ms = tonumber(redis.call('ZSCORE', K.presence(), pid) or '0')
  if redis.call('ZCARD', K.streams(pid)) > 0 then
    presence[pid] = 'online'
  elseif until_ms > NOW then
    presence[pid] = 'reconnecting'
    presence_changes_in_ms = math.min(presence_changes_in_ms or math.huge, until_ms - NOW)
  else
    presence[pid] = 'gone'
  end
end
return cjson.encode({
  room = room, players = players, seats = seats, spectators = spectators,
  spectator_count = redis.call('ZCARD', K.spectators(A.code)),
  scores = hash(K.scores(A.code)), presses = hash(K.presses(A.code)), stats = hash(K.stats(A.code)),
  names = names, presence = presence,
  presence_changes_in_ms = presence_changes_in_ms, now = NOW,
})
