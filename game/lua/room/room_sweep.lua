-- A member's grace period ran out with no stream back (the lobby's sweep.lua
-- said so): they leave a room that is not mid-match. Mid-match they keep the
-- seat (they may come back) but hand over the host role to a player who is
-- online; when nobody in the match is online any more, the match ends and the
-- gone players leave (an empty room is deleted). A no-op if they came back.
local m = member(A.pid)
if not m or not room_exists() then return finish({seated = false}) end
if is_online(A.pid) then return finish({seated = true}) end
if not R.IN_MATCH[room_field('phase')] then
  leave_room(A.pid)
elseif online_player() == '' then
  end_match()
  if room_exists() then room_changed() end
elseif room_field('host') == A.pid then
  call('HSET', K.room, 'host', online_player())
  room_changed()
end
return finish({seated = true})
