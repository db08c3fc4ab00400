-- The room's own rules, for every script in a room's slot (game/lua/room/).
-- K.room, K.players, ... are this room's keys (A.code); nothing here reads or
-- writes another slot. What the lobby must learn (the room's card, reaction
-- times for the records, who left the room) is returned as effects, and
-- game/moves.py carries it to the lobby's slot.
--
-- The room's seats are the truth about who is in it; what it needs of its
-- members (name, when they were named, their network, their best time, and
-- whether they are online) is copied into K.members when they take a seat and
-- kept current by their moves (room_presence.lua, room_rename.lua).

local CODE = A.code

local function room_field(field) return call('HGET', K.room, field) end

local function member(pid)
  local raw = call('HGET', K.members, pid)
  return raw and cjson.decode(raw) or nil
end

local function set_member(pid, m) call('HSET', K.members, pid, cjson.encode(m)) end

local function player_name(pid)
  local m = member(pid)
  return m and m.name or nil
end

-- Online: a stream open, or closed within the reconnect grace ("reconnecting").
local function is_online(pid)
  local m = member(pid)
  return m ~= nil and (m['until'] or 0) > NOW
end

local ROOM_DATA = {K.room, K.players, K.spectators, K.presses, K.scores, K.kicked, K.stats, K.members}

-- The room's card, as the lobby lists it (lobby.lua, apply_card): written to the
-- effects when it changed, or when the one the lobby holds is about to lapse.
-- Its version (v: Redis's clock, then n: a count) orders the cards of one room
-- however late each reaches the lobby.
local function card_effect()
  local room = call('HMGET', K.room, 'phase', 'max', 'public', 'quick', 'created', 'host', 'card', 'card_until')
  local players = call('ZCARD', K.players)
  local card = {code = CODE, phase = room[1], max = tonumber(room[2]), public = room[3] == '1',
                quick = room[4] == '1', created = tonumber(room[5]), players = players,
                spectators = call('ZCARD', K.spectators), host_online = room[6] ~= '' and is_online(room[6])}
  local text = cjson.encode(card)
  if text == room[7] and tonumber(room[8] or '0') > NOW + A.room_ttl_s * 500 then return end
  card.v, card.n = NOW, call('HINCRBY', K.room, 'card_v', 1)
  card['until'] = NOW + A.room_ttl_s * 1000
  call('HSET', K.room, 'card', text, 'card_until', int(card['until']))
  EFFECTS.card = card
end

local function keep_room()
  for _, key in ipairs(ROOM_DATA) do call('EXPIRE', key, A.room_ttl_s) end
  card_effect()
end

local function room_changed()
  notify(K.ch_room)
  keep_room()
end

local function new_room(public, quick)
  call('HSET', K.room, 'code', CODE, 'public', public and '1' or '0', 'quick', quick and '1' or '0',
    'host', '', 'max', A.room_max_players, 'rounds', A.default_rounds, 'decoys', '0', 'phase', 'lobby',
    'round', 0, 'round_id', '', 'seq', 0, 'created', int(NOW))
end

-- Seat a player (role 'player') or a spectator, with what the room keeps of
-- them (m: name, created, addr, best, until). A player becomes host if the
-- room has none, or none who is online. Each gets a seat number (the join
-- order): the page names a seat by it, never by a player id.
local function seat(pid, role, m)
  local order = call('HINCRBY', K.room, 'seq', 1)
  call('ZREM', K.players, pid)
  call('ZREM', K.spectators, pid)
  set_member(pid, m)
  if role == 'player' then
    call('ZADD', K.players, order, pid)
    local host = room_field('host')
    if host == '' or not is_online(host) then call('HSET', K.room, 'host', pid) end
  else
    call('ZADD', K.spectators, order, pid)
  end
  room_changed()
end

-- Points for a rank: 3 for the fastest, 2, then 1; ties share the rank.
local POINTS = {3, 2, 1}

-- The round is decided: ranks and points by validated time, the match's
-- statistics per player (stats: n, sum, best, early), personal bests (the
-- member's best here; the player's record and today's fastest in the lobby,
-- from EFFECTS.records).
local function end_round()
  local seats = call('ZRANGE', K.players, 0, -1)
  local valid = {}
  for _, pid in ipairs(seats) do
    local press = call('HGET', K.presses, 'p:' .. pid)
    if press == 'early' then
      call('HINCRBY', K.stats, 'early:' .. pid, 1)
    elseif press then
      valid[#valid + 1] = {pid = pid, ms = tonumber(press)}
    end
  end
  table.sort(valid, function(a, b) return a.ms < b.ms end)
  local records = {}
  for i, entry in ipairs(valid) do
    local rank = i
    if i > 1 and entry.ms == valid[i - 1].ms then rank = valid[i - 1].rank end
    entry.rank = rank
    local points = POINTS[rank] or 0
    call('HSET', K.presses, 'rank:' .. entry.pid, rank, 'pts:' .. entry.pid, points)
    call('HINCRBY', K.scores, entry.pid, points)
    call('HINCRBY', K.stats, 'n:' .. entry.pid, 1)
    call('HINCRBY', K.stats, 'sum:' .. entry.pid, entry.ms)
    local best = tonumber(call('HGET', K.stats, 'best:' .. entry.pid) or '')
    if not best or entry.ms < best then call('HSET', K.stats, 'best:' .. entry.pid, entry.ms) end
    local m = member(entry.pid) or {}
    if not m.best or entry.ms < m.best then
      m.best = entry.ms
      set_member(entry.pid, m)
      call('HSET', K.presses, 'pb:' .. entry.pid, 1)
    end
    records[#records + 1] = {pid = entry.pid, ms = entry.ms, name = m.name or '?'}
  end
  if #records > 0 then EFFECTS.records, EFFECTS.day = records, int(math.floor(NOW / 86400000)) end
  call('HSET', K.room, 'phase', 'results', 'due_at', int(NOW + A.results_pause_ms))
  room_changed()
end

-- A new round, planned by the caller (A.plan, drawn in game/timers.py and
-- never sent to a browser): "get ready" for plan.delay_ms, then GO; or, in a
-- decoy round, the decoy ("NO!") for A.decoy_ms, then either nothing (the
-- round ends) or "get ready" again for plan.go_after_ms, then GO.
local function start_round(plan)
  call('HINCRBY', K.room, 'round', 1)
  local round_id = int(call('HINCRBY', K.room, 'seq', 1))
  call('DEL', K.presses)
  local decoy = plan.decoy and room_field('decoys') == '1'
  call('HSET', K.room, 'phase', 'ready', 'round_id', round_id, 'due_at', int(NOW + plan.delay_ms),
    'decoy', decoy and 'pending' or '', 'then_go', plan.then_go and '1' or '0', 'go_after', int(plan.go_after_ms))
  room_changed()
  return round_id
end

local function all_pressed()
  local seats = call('ZRANGE', K.players, 0, -1)
  for _, pid in ipairs(seats) do
    if call('HEXISTS', K.presses, 'p:' .. pid) == 0 then return false end
  end
  return #seats > 0
end

local function delete_room()
  for _, key in ipairs(ROOM_DATA) do call('DEL', key) end
  notify(K.ch_room)
  EFFECTS.card = {code = CODE, gone = true, v = NOW, n = 1000000000, ['until'] = NOW + 60000}
end

-- The longest-seated player who is online, or '' if none is.
local function online_player()
  for _, pid in ipairs(call('ZRANGE', K.players, 0, -1)) do
    if is_online(pid) then return pid end
  end
  return ''
end

local function room_exists() return call('EXISTS', K.room) == 1 end

local leave_room  -- a match that ends drops its gone players, who leave the room

-- The match is over: its record stays on screen ("final"); players who are
-- gone leave, and kicks by address (room_kick.lua) end with it.
local function end_match()
  call('HSET', K.room, 'phase', 'final')
  for field in pairs(hash(K.kicked)) do
    if string.sub(field, 1, 5) == 'addr:' then call('HDEL', K.kicked, field) end
  end
  for _, pid in ipairs(call('ZRANGE', K.players, 0, -1)) do
    if not is_online(pid) and room_exists() then leave_room(pid) end
  end
end

-- Remove a player from the room: the host passes to the longest-seated
-- online player, a match with too few players ends, an empty room is deleted.
-- The player's pointer to this room is cleared in the lobby (EFFECTS.left).
leave_room = function(pid)
  call('ZREM', K.players, pid)
  call('ZREM', K.spectators, pid)
  call('HDEL', K.members, pid)
  EFFECTS.left = EFFECTS.left or {}
  table.insert(EFFECTS.left, pid)
  if call('ZCARD', K.players) + call('ZCARD', K.spectators) == 0 then
    delete_room()
    return
  end
  if room_field('host') == pid then call('HSET', K.room, 'host', online_player()) end
  local phase = room_field('phase')
  if R.IN_MATCH[phase] and call('ZCARD', K.players) < A.room_min_players then
    end_match()
  elseif phase == 'go' and all_pressed() then
    end_round()
  end
  if room_exists() then room_changed() end
end

-- Kicked from this room: this player, or a player named since a kick from
-- the same network (room_kick.lua), until its match ends.
local function kicked(pid, addr, created)
  if call('HEXISTS', K.kicked, pid) == 1 then return true end
  local kicked_at = call('HGET', K.kicked, 'addr:' .. addr)
  return kicked_at and (created or 0) >= tonumber(kicked_at)
end

local function require_room()
  if not room_exists() then return fail(404, 'That room does not exist.') end
end

local function require_host(pid)
  if not room_exists() then return fail(404, 'That room does not exist.') end
  if room_field('host') ~= pid then return fail(403, 'Only the host can do that.') end
end
