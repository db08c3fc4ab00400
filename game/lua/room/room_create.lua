-- Create a room (A.code, chosen by the caller) with its creator (A.pid, what
-- the room keeps of them: A.member) as host. The creator's pointer to it and
-- their leaving any other room are the caller's next steps (game/moves.py).
if room_exists() then return fail(503, 'code collision') end
new_room(A.public, false)
seat(A.pid, 'player', A.member)
return finish({ok = true, room = CODE})
