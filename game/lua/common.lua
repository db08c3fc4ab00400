-- Shared by every script: the clock, replies and notifications. Before it
-- come the keys (K: given in KEYS, see game/scripts.py), `call` (Redis's call,
-- checked against the declared keys when the suite runs), the arguments (A)
-- and the fixed rules (R, game/rules.py).

local function now_ms()
  local t = call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local NOW = now_ms()

local function int(n) return string.format('%d', n) end

-- Channels to wake once the script's writes are done: in this script's slot,
-- published here (sharded pub/sub keeps them on this shard).
local CHANGED = {}
local function notify(channel) CHANGED[channel] = true end

-- What the caller must carry to another slot (game/moves.py): set by the
-- family's library, returned with the result.
local EFFECTS = {}

local function finish(result)
  for channel in pairs(CHANGED) do call('SPUBLISH', channel, int(NOW)) end
  result.accepted_ms = NOW  -- when the change was accepted (Redis's clock)
  for name, value in pairs(EFFECTS) do result[name] = value end
  return cjson.encode(result)
end

local function fail(status, message)
  return cjson.encode({error = message, status = status})
end

-- A hash as a table (HGETALL's flat list, paired).
local function hash(key)
  local flat, t = call('HGETALL', key), {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

-- Presence (game/presence.py): while a player has a stream open, their
-- online-until is CONNECTED (a time in the year 4821, and exact in JSON: cjson
-- keeps 14 digits); when the last one closes, the end of the grace period.
local CONNECTED = 90000000000000
