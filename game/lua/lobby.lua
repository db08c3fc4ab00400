-- The lobby's rules, for every script in the lobby's slot (game/lua/lobby/):
-- who is online, players' records and names, the queue, the rooms' cards.
-- K.presence, K.queue, ... are the lobby's keys; K.player(pid) is a player's
-- record, declared by the caller for each player the script touches.

-- Every lobby tab shows the lobby: wake it at most once per window, however
-- many players come, go, queue or open rooms; the caller is told to catch up
-- after the window (game/store.py), so the lobby always ends up right.
local function lobby_changed()
  if call('SET', K.lobby_tick, '1', 'NX', 'PX', A.lobby_wake_ms) then
    notify(K.ch_lobby)
  elseif not CHANGED[K.ch_lobby] then
    EFFECTS.lobby_later = true
  end
end

-- Online: a stream open, or closed within the reconnect grace ("reconnecting").
local function is_online(pid)
  local until_ms = call('ZSCORE', K.presence, pid)
  return until_ms and tonumber(until_ms) > NOW
end

-- A player's open streams: {stream id = opened ms}, kept as one field of K.streams.
local function streams_of(pid)
  local found, raw = {}, call('HGET', K.streams, pid)
  for stream, opened in string.gmatch(raw or '', '(%S+) (%S+)') do found[stream] = tonumber(opened) end
  return found
end

local function set_streams(pid, streams)
  local parts = {}
  for stream, opened in pairs(streams) do parts[#parts + 1] = stream .. ' ' .. int(opened) end
  if #parts == 0 then call('HDEL', K.streams, pid) else call('HSET', K.streams, pid, table.concat(parts, ' ')) end
  return #parts
end

-- Present: a stream open now. Only a present player may take a seat, queue
-- or open a room, so identities that never open a stream cannot squat.
local function require_present(pid)
  if call('HEXISTS', K.streams, pid) == 0 then
    return fail(409, 'Your game is not connected: reload the page.')
  end
end

-- A field of a player's record; nil if missing or empty.
local function player_field(pid, field)
  local value = call('HGET', K.player(pid), field)
  if value == false or value == '' then return nil end
  return value
end

local function player_name(pid) return player_field(pid, 'name') end

local function require_name(pid)
  if not player_name(pid) then return fail(409, 'Pick a name first.') end
end

-- The room a player's record points to (a hint: the room's seats are the
-- truth, and a stale pointer is cleared when a read finds it stale).
local function player_room(pid) return player_field(pid, 'room') end

-- A name is taken while another player who holds one of its keys is online.
local NAME_TAKEN = 'That name is taken by someone online. Try another.'
local function name_taken(keys, pid)
  for _, key in ipairs(keys) do
    local owner = call('HGET', K.names, key)
    if owner and owner ~= pid and is_online(owner) then return true end
  end
  return false
end

-- A player's name keys are released (their presence was trimmed, or they renamed).
local function release_names(pid)
  local held = call('HGET', K.names, 'pid:' .. pid)
  for _, key in ipairs(held and cjson.decode(held) or {}) do
    if call('HGET', K.names, key) == pid then call('HDEL', K.names, key) end
  end
  call('HDEL', K.names, 'pid:' .. pid)
end

-- Player records live as long as the player comes back within
-- A.player_ttl_s (every stream opened renews them).
local function set_player(pid, fields)
  local flat = {}
  for k, v in pairs(fields) do flat[#flat + 1] = k; flat[#flat + 1] = v end
  call('HSET', K.player(pid), unpack(flat))
  call('EXPIRE', K.player(pid), A.player_ttl_s)
  notify(K.ch_player(pid))
end

local function leave_queue(pid)
  if call('ZREM', K.queue, pid) == 1 then
    lobby_changed()
    notify(K.ch_player(pid))
  end
end

-- A stream closed, or its process is gone: true if it was the player's last.
-- A stream that is no longer registered (closed already) changes nothing.
local function drop_stream(pid, stream, proc)
  call('SREM', K.proc_streams(proc), pid .. ' ' .. stream)
  local streams = streams_of(pid)
  if not streams[stream] then return false end
  streams[stream] = nil
  if set_streams(pid, streams) > 0 then return false end
  call('ZADD', K.presence, NOW + A.reconnect_grace_ms, pid)
  lobby_changed()  -- one fewer online
  return true
end

-- The lobby's list holds the public rooms worth joining: open (between
-- matches, a seat free, a host online), most players first, then the newest.
-- The score says both: players * 2^41 + created (ms). Quick play fills the
-- open quick-play rooms (K.quick) before it opens new ones. A room's card
-- (room.lua, card_effect) reaches the lobby here; an older version than the
-- one held (moves of one room may land out of order) changes nothing.
local LIST_ORDER = 2199023255552
local function apply_card(card)
  local held = call('HGET', K.cards, card.code)
  if held then
    held = cjson.decode(held)
    if held.v > card.v or (held.v == card.v and held.n >= card.n) then return end
  end
  call('HSET', K.cards, card.code, cjson.encode(card))
  local has_seat = not card.gone and card.players > 0 and card.players < card.max
  local listed
  if has_seat and card.public and card.host_online and not R.IN_MATCH[card.phase] then
    listed = call('ZADD', K.public, 'CH', card.players * LIST_ORDER + card.created, card.code)
  else
    listed = call('ZREM', K.public, card.code)
  end
  if listed > 0 or call('ZSCORE', K.public, card.code) then lobby_changed() end
  if has_seat and card.quick and card.host_online and card.phase == 'lobby' then
    call('ZADD', K.quick, card.created, card.code)
  else
    call('ZREM', K.quick, card.code)
  end
end

-- A card past its time: its room expired without a word (nothing changed in
-- it for Settings.room_ttl_s), or it says the room is gone.
local function drop_card(code)
  call('HDEL', K.cards, code)
  call('ZREM', K.public, code)
  call('ZREM', K.quick, code)
end

local function card_of(code)
  local raw = call('HGET', K.cards, code)
  if not raw then return nil end
  local card = cjson.decode(raw)
  if card['until'] <= NOW then
    drop_card(code)
    return nil
  end
  if card.gone then return nil end
  return card
end
