-- Presence: a stream opened on process A.proc. It counts as open until it
-- closes (disconnect.lua) or its process's lease runs out (lease.lua): no
-- heartbeat per stream. Opening a stream renews the player's record and their
-- hold on their name, and notes the network it came from (A.addr, a keyed
-- hash: see room_kick.lua). Past the cap on open streams, the oldest is told
-- to close (on the player channel). The caller tells the player's room
-- (`room`, the record's pointer) that they are online (room_presence.lua).
local streams = streams_of(A.pid)
local was_online = next(streams) ~= nil
streams[A.stream] = NOW
local count = set_streams(A.pid, streams)
call('SADD', K.proc_streams(A.proc), A.pid .. ' ' .. A.stream)
call('PEXPIRE', K.proc_streams(A.proc), A.lease_ms * 2)
if count > A.max_streams then
  local oldest, at = nil, math.huge
  for stream, opened in pairs(streams) do
    if opened < at or (opened == at and stream < oldest) then oldest, at = stream, opened end
  end
  streams[oldest] = nil
  set_streams(A.pid, streams)
  call('SPUBLISH', K.ch_player(A.pid), R.EVICT .. oldest)
end
call('ZADD', K.presence, CONNECTED, A.pid)
-- Players offline for an hour leave the presence list, and their names are free again.
local stale = call('ZRANGEBYSCORE', K.presence, '-inf', NOW - 3600000, 'LIMIT', 0, 100)
for _, pid in ipairs(stale) do
  release_names(pid)
  call('ZREM', K.presence, pid)
end
if call('EXISTS', K.player(A.pid)) == 1 then
  call('HSET', K.player(A.pid), 'addr', A.addr)
  call('EXPIRE', K.player(A.pid), A.player_ttl_s)
  local held = call('HGET', K.player(A.pid), 'name_keys')
  for _, key in ipairs(held and cjson.decode(held) or {}) do  -- a name freed meanwhile is held again
    if not call('HGET', K.names, key) then call('HSET', K.names, key, A.pid) end
  end
  if held then call('HSET', K.names, 'pid:' .. A.pid, held) end
end
if not was_online then lobby_changed() end  -- one more online
return finish({ok = true, room = player_room(A.pid) or false, came_online = not was_online})
