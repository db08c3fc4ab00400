-- Read only: everything about a room that is the same for every viewer
-- (game/views.py, RoomSnapshot), in one round trip. {} if the room is gone.
local function hash(key)
  local flat, t = redis.call('HGETALL', key), {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end
local room = hash(K.room(A.code))
if next(room) == nil then return cjson.encode({}) end
local seats = redis.call('ZRANGE', K.seats(A.code), 0, -1)
local watchers = redis.call('ZRANGE', K.watchers(A.code), 0, A.spectators_shown - 1)
local names, presence = {}, {}
for _, list in ipairs({seats, watchers}) do
  for _, pid in ipairs(list) do names[pid] = player_name(pid) or false end
end
for _, pid in ipairs(seats) do
  presence[pid] = {redis.call('ZSCORE', K.presence(), pid), redis.call('ZCARD', K.conns(pid))}
end
return cjson.encode({
  room = room, seats = seats, watchers = watchers, watcher_count = redis.call('ZCARD', K.watchers(A.code)),
  scores = hash(K.scores(A.code)), presses = hash(K.round(A.code)), names = names, presence = presence,
  now = NOW,
})
