-- Quick play matched these players (A.members: player id -> what the room
-- keeps of them, in queue order A.pids): a new public quick-play room (A.code,
-- chosen by the caller) seats them all; the first is host.
if room_exists() then return fail(503, 'code collision') end
new_room(true, true)
for _, pid in ipairs(A.pids) do seat(pid, 'player', A.members[pid]) end
return finish({ok = true, room = CODE})
