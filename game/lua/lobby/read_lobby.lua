-- What the lobby shows (game/reads.py, LobbySnapshot), in one round trip of
-- the lobby's slot: who is online, the queue, the open public rooms worth
-- joining (K.public, in its order: the rooms' cards say they are open with a
-- host online), today's fastest (A.day) and the room a player was invited to
-- (A.invite, or ''). A card past its time is dropped here, so a room that
-- expired can never hide a live one.
local rooms = {}
for _, code in ipairs(call('ZREVRANGE', K.public, 0, A.public_rooms_shown * 3 - 1)) do
  local found = card_of(code)
  if found and #rooms < A.public_rooms_shown then rooms[#rooms + 1] = found end
  if not found then drop_card(code) end
end
-- Today's fastest (UTC): {name, ms}, best first (lobby_apply.lua enters them).
local fastest, flat = {}, call('ZRANGE', K.fastest(A.day), 0, A.fastest_kept - 1, 'WITHSCORES')
for i = 1, #flat, 2 do
  fastest[#fastest + 1] = {call('HGET', K.fastest_names(A.day), flat[i]) or '?', tonumber(flat[i + 1])}
end
return finish({
  online = call('ZCOUNT', K.presence, NOW, '+inf'),
  fastest = fastest,
  queue_len = call('ZCARD', K.queue),
  rooms = rooms,
  invited = A.invite ~= '' and card_of(A.invite) or false,
})
