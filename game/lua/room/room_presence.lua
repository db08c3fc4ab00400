-- A member's presence changed (a stream opened: A.connected; the last one
-- closed: online for A.grace_ms more), or a stream showing the room renews
-- it: the room keeps its copy (what its view and its host rule read) and is
-- kept from expiring. `seated` is false when the player is not in this room
-- any more (their pointer is stale: the caller clears it).
local m = member(A.pid)
if not m or not room_exists() then return finish({seated = false}) end
local was, now = m['until'] == CONNECTED, A.connected == true
m['until'] = now and CONNECTED or NOW + A.grace_ms
set_member(A.pid, m)
if was ~= now then room_changed() else keep_room() end
return finish({seated = true})
