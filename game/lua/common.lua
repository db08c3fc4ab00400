-- Shared by every script: the clock, replies, notifications and the room
-- rules used by more than one command. The key builders (K.*, game/keys.py)
-- and the fixed rules (R.*, game/rules.py) come first; ARGV[1] is one JSON
-- object of arguments (A).
local A = cjson.decode(ARGV[1])

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local NOW = now_ms()

local function int(n) return string.format('%d', n) end

-- Channels to wake once the script's writes are done.
local CHANGED = {}
local LOBBY_LATER = false  -- see lobby_changed
local function notify(channel) CHANGED[channel] = true end

local function finish(result)
  for channel in pairs(CHANGED) do redis.call('SPUBLISH', channel, int(NOW)) end
  result.accepted_ms = NOW  -- when the change was accepted (Redis's clock)
  if LOBBY_LATER and not CHANGED[K.ch_lobby()] then result.lobby_later = true end
  return cjson.encode(result)
end

-- Every lobby tab shows the lobby: wake it at most once per window, however
-- many players come, go, queue or open rooms; the caller is told to catch up
-- after the window (game/store.py), so the lobby always ends up right.
local function lobby_changed()
  if redis.call('SET', K.lobby_tick(), '1', 'NX', 'PX', A.lobby_wake_ms) then
    notify(K.ch_lobby())
  else
    LOBBY_LATER = true
  end
end

local function fail(status, message)
  return cjson.encode({error = message, status = status})
end

-- Online: a stream open, or closed within the reconnect grace ("reconnecting").
local function is_online(pid)
  local until_ms = redis.call('ZSCORE', K.presence(), pid)
  return until_ms and tonumber(until_ms) > NOW
end

-- Present: a stream open now. Only a present player may take a seat, queue
-- or open a room, so identities that never open a stream cannot squat.
local function require_present(pid)
  if redis.call('ZCARD', K.streams(pid)) == 0 then
    return fail(409, 'Your game is not connected: reload the page.')
  end
end

-- A name is taken while another player who holds one of its keys is online.
local NAME_TAKEN = 'That name is taken by someone online. Try another.'
local function name_taken(keys, pid)
  for _, key in ipairs(keys) do
    local owner = redis.call('GET', K.name(key))
    if owner and owner ~= pid and is_online(owner) then return true end
  end
  return false
end

local function player_name(pid)
  local name = redis.call('HGET', K.player(pid), 'name')
  if name == false or name == '' then return nil end
  return name
end

-- The room a player sits or watches in, if that room still exists.
local function player_room(pid)
  local code = redis.call('HGET', K.player(pid), 'room')
  if code == false or code == '' then return nil end
  if redis.call('EXISTS', K.room(code)) == 0 then return nil end
  return code
end

-- A hash as a table (HGETALL's flat list, paired).
local function hash(key)
  local flat, t = redis.call('HGETALL', key), {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

local function room_field(code, field) return redis.call('HGET', K.room(code), field) end

local function keep_room(code)
  for _, key in ipairs(K.room_keys) do redis.call('EXPIRE', key(code), A.room_ttl_s) end
end

-- The lobby's list holds the public rooms worth joining: open (between
-- matches, a seat free), most players first, then the newest. The score says
-- both: players * 2^41 + created (ms). Kept up to date on every room change.
-- Quick play fills the open quick-play rooms (rooms:quick) before it opens new ones.
local LIST_ORDER = 2199023255552
local function relist(code)
  local room = redis.call('HMGET', K.room(code), 'public', 'phase', 'max', 'created', 'quick')
  local players = redis.call('ZCARD', K.players(code))
  local has_seat = players > 0 and players < tonumber(room[3])
  local changed
  if room[1] == '1' and has_seat and not R.IN_MATCH[room[2]] then
    changed = redis.call('ZADD', K.public(), 'CH', players * LIST_ORDER + tonumber(room[4]), code)
  else
    changed = redis.call('ZREM', K.public(), code)
  end
  if changed > 0 then lobby_changed() end
  if room[5] == '1' and has_seat and room[2] == 'lobby' then  -- a quick match not started yet
    redis.call('ZADD', K.quick(), tonumber(room[4]), code)
  else
    redis.call('ZREM', K.quick(), code)
  end
end

local function room_changed(code)
  notify(K.ch_room(code))
  keep_room(code)
  relist(code)
end

-- Player records, names and streams live as long as the player comes back
-- within A.player_ttl_s (every stream opened renews them).
local function set_player(pid, fields)
  local flat = {}
  for k, v in pairs(fields) do flat[#flat + 1] = k; flat[#flat + 1] = v end
  redis.call('HSET', K.player(pid), unpack(flat))
  redis.call('EXPIRE', K.player(pid), A.player_ttl_s)
  notify(K.ch_player(pid))
end

local function leave_queue(pid)
  if redis.call('ZREM', K.queue(), pid) == 1 then
    lobby_changed()
    notify(K.ch_player(pid))
  end
end

local function new_room(code, public, quick)
  redis.call('HSET', K.room(code), 'code', code, 'public', public and '1' or '0', 'quick', quick and '1' or '0',
    'host', '', 'max', A.room_max_players, 'rounds', A.default_rounds, 'decoys', '0', 'phase', 'lobby',
    'round', 0, 'round_id', '', 'seq', 0, 'created', int(NOW))
end

-- A room's members changed: the lobby shows its counts if it is listed.
local function members_changed(code)
  room_changed(code)
  if redis.call('ZSCORE', K.public(), code) then lobby_changed() end
end

-- Seat a player (role 'player') or a spectator. A player becomes host if the
-- room has none, or none who is online. Each gets a seat number (the join
-- order): the page names a seat by it, never by a player id.
local function seat(pid, code, role)
  local order = redis.call('HINCRBY', K.room(code), 'seq', 1)
  redis.call('ZREM', K.players(code), pid)
  redis.call('ZREM', K.spectators(code), pid)
  if role == 'player' then
    redis.call('ZADD', K.players(code), order, pid)
    local host = room_field(code, 'host')
    if host == '' or not is_online(host) then redis.call('HSET', K.room(code), 'host', pid) end
  else
    redis.call('ZADD', K.spectators(code), order, pid)
  end
  set_player(pid, {room = code, role = role})
  if redis.call('HGET', K.player(pid), 'kicked_from') ~= code then redis.call('HDEL', K.player(pid), 'kicked_from') end
  members_changed(code)
end

-- Points for a rank: 3 for the fastest, 2, then 1; ties share the rank.
local POINTS = {3, 2, 1}

-- Records kept beyond a match: a player's personal best (their record), and
-- today's ten fastest (UTC), one entry per player, kept two days.
local DAY_MS = 86400000
local function record_time(pid, ms)
  local best = tonumber(redis.call('HGET', K.player(pid), 'best') or '')
  if not best or ms < best then
    redis.call('HSET', K.player(pid), 'best', ms)
    return true
  end
  return false
end

local function enter_fastest(pid, ms)
  local day = int(math.floor(NOW / DAY_MS))
  redis.call('ZADD', K.fastest(day), 'LT', ms, pid)  -- a new player is added; a known one only improves
  redis.call('ZREMRANGEBYRANK', K.fastest(day), A.fastest_kept, -1)
  redis.call('HSET', K.fastest_names(day), pid, player_name(pid) or '?')
  for _, key in ipairs({K.fastest(day), K.fastest_names(day)}) do redis.call('EXPIRE', key, 2 * DAY_MS / 1000) end
end

-- The round is decided: ranks and points by validated time, the match's
-- statistics per player (stats: n, sum, best, early), personal bests, today's fastest.
local function end_round(code)
  local seats = redis.call('ZRANGE', K.players(code), 0, -1)
  local valid = {}
  for _, pid in ipairs(seats) do
    local press = redis.call('HGET', K.presses(code), 'p:' .. pid)
    if press == 'early' then
      redis.call('HINCRBY', K.stats(code), 'early:' .. pid, 1)
    elseif press then
      valid[#valid + 1] = {pid = pid, ms = tonumber(press)}
    end
  end
  table.sort(valid, function(a, b) return a.ms < b.ms end)
  for i, entry in ipairs(valid) do
    local rank = i
    if i > 1 and entry.ms == valid[i - 1].ms then rank = valid[i - 1].rank end
    entry.rank = rank
    local points = POINTS[rank] or 0
    redis.call('HSET', K.presses(code), 'rank:' .. entry.pid, rank, 'pts:' .. entry.pid, points)
    redis.call('HINCRBY', K.scores(code), entry.pid, points)
    redis.call('HINCRBY', K.stats(code), 'n:' .. entry.pid, 1)
    redis.call('HINCRBY', K.stats(code), 'sum:' .. entry.pid, entry.ms)
    local best = tonumber(redis.call('HGET', K.stats(code), 'best:' .. entry.pid) or '')
    if not best or entry.ms < best then redis.call('HSET', K.stats(code), 'best:' .. entry.pid, entry.ms) end
    if record_time(entry.pid, entry.ms) then redis.call('HSET', K.presses(code), 'pb:' .. entry.pid, 1) end
    enter_fastest(entry.pid, entry.ms)
  end
  redis.call('HSET', K.room(code), 'phase', 'results', 'due_at', int(NOW + A.results_pause_ms))
  room_changed(code)
end

-- A new round, planned by the caller (A.plan, drawn in game/timers.py and
-- never sent to a browser): "get ready" for plan.delay_ms, then GO; or, in a
-- decoy round, the decoy ("NO!") for A.decoy_ms, then either nothing (the
-- round ends) or "get ready" again for plan.go_after_ms, then GO.
local function start_round(code, plan)
  local room = K.room(code)
  redis.call('HINCRBY', room, 'round', 1)
  local round_id = int(redis.call('HINCRBY', room, 'seq', 1))
  redis.call('DEL', K.presses(code))
  local decoy = plan.decoy and room_field(code, 'decoys') == '1'
  redis.call('HSET', room, 'phase', 'ready', 'round_id', round_id, 'due_at', int(NOW + plan.delay_ms),
    'decoy', decoy and 'pending' or '', 'then_go', plan.then_go and '1' or '0', 'go_after', int(plan.go_after_ms))
  room_changed(code)
  return round_id
end

local function all_pressed(code)
  local seats = redis.call('ZRANGE', K.players(code), 0, -1)
  for _, pid in ipairs(seats) do
    if redis.call('HEXISTS', K.presses(code), 'p:' .. pid) == 0 then return false end
  end
  return #seats > 0
end

local function delete_room(code)
  for _, key in ipairs(K.room_keys) do redis.call('DEL', key(code)) end
  if redis.call('ZREM', K.public(), code) == 1 then lobby_changed() end
  redis.call('ZREM', K.quick(), code)
  notify(K.ch_room(code))
end

-- The longest-seated player who is online, or '' if none is.
local function online_player(code)
  for _, pid in ipairs(redis.call('ZRANGE', K.players(code), 0, -1)) do
    if is_online(pid) then return pid end
  end
  return ''
end

local leave_room  -- a match that ends drops its gone players, who leave the room

-- The match is over: its record stays on screen ("final"); players who are
-- gone leave, and kicks by address (room_kick.lua) end with it.
local function end_match(code)
  redis.call('HSET', K.room(code), 'phase', 'final')
  for field in pairs(hash(K.kicked(code))) do
    if string.sub(field, 1, 5) == 'addr:' then redis.call('HDEL', K.kicked(code), field) end
  end
  for _, pid in ipairs(redis.call('ZRANGE', K.players(code), 0, -1)) do
    if not is_online(pid) and redis.call('EXISTS', K.room(code)) == 1 then leave_room(pid, code) end
  end
end

-- Remove a player from their room: the host passes to the longest-seated
-- online player, a match with too few players ends, an empty room is deleted.
leave_room = function(pid, code)
  redis.call('ZREM', K.players(code), pid)
  redis.call('ZREM', K.spectators(code), pid)
  set_player(pid, {room = '', role = ''})
  if redis.call('ZCARD', K.players(code)) + redis.call('ZCARD', K.spectators(code)) == 0 then
    delete_room(code)
    return
  end
  if room_field(code, 'host') == pid then redis.call('HSET', K.room(code), 'host', online_player(code)) end
  local phase = room_field(code, 'phase')
  if R.IN_MATCH[phase] and redis.call('ZCARD', K.players(code)) < A.room_min_players then
    end_match(code)
  elseif phase == 'go' and all_pressed(code) then
    end_round(code)
  end
  if redis.call('EXISTS', K.room(code)) == 1 then members_changed(code) end
end

-- Presence (game/presence.py): while a player has a stream open, their
-- presence score is CONNECTED; when the last one closes, the grace period.
local CONNECTED = 9007199254740991

-- A stream closed, or its process is gone: true if it was the player's last.
-- A stream that is no longer registered (closed already) changes nothing.
local function drop_stream(pid, stream, proc)
  redis.call('SREM', K.proc_streams(proc), pid .. ' ' .. stream)
  if redis.call('ZREM', K.streams(pid), stream) == 0 then return false end
  if redis.call('ZCARD', K.streams(pid)) > 0 then return false end
  redis.call('ZADD', K.presence(), NOW + A.reconnect_grace_ms, pid)
  lobby_changed()  -- one fewer online
  local code = player_room(pid)
  if code then notify(K.ch_room(code)) end
  return true
end

local function require_name(pid)
  if not player_name(pid) then return fail(409, 'Pick a name first.') end
end

-- Kicked from this room: this player, or a player named since a kick from
-- the same network (room_kick.lua), until its match ends.
local function kicked(code, pid, addr)
  if redis.call('HEXISTS', K.kicked(code), pid) == 1 then return true end
  local kicked_at = redis.call('HGET', K.kicked(code), 'addr:' .. addr)
  local named = tonumber(redis.call('HGET', K.player(pid), 'created') or '0')
  return kicked_at and named >= tonumber(kicked_at)
end

local function require_host(pid, code)
  if redis.call('EXISTS', K.room(code)) == 0 then return fail(404, 'That room does not exist.') end
  if room_field(code, 'host') ~= pid then return fail(403, 'Only the host can do that.') end
end
