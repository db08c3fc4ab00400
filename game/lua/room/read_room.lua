-- Read only: everything about a room that is the same for every viewer
-- (game/reads.py, RoomSnapshot), in one round trip of its own slot: names
-- and presence come from its members. {} if the room is gone.
local room = hash(K.room)
if next(room) == nil then return cjson.encode({}) end
local players, seats = {}, {}
local flat = call('ZRANGE', K.players, 0, -1, 'WITHSCORES')
for i = 1, #flat, 2 do players[#players + 1] = flat[i]; seats[flat[i]] = tonumber(flat[i + 1]) end
local spectators = call('ZRANGE', K.spectators, 0, A.spectators_shown - 1)
local members = hash(K.members)
local names, presence, presence_changes_in_ms = {}, {}, false
for _, list in ipairs({players, spectators}) do
  for _, pid in ipairs(list) do
    local m = members[pid] and cjson.decode(members[pid]) or {}
    names[pid] = m.name or false
  end
end
-- online: a stream open; reconnecting: none, within the grace period; gone.
for _, pid in ipairs(players) do
  local m = members[pid] and cjson.decode(members[pid]) or {}
  local until_ms = m['until'] or 0
  if until_ms == CONNECTED then
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
  spectator_count = call('ZCARD', K.spectators),
  scores = hash(K.scores), presses = hash(K.presses), stats = hash(K.stats),
  names = names, presence = presence,
  presence_changes_in_ms = presence_changes_in_ms, now = NOW,
})
