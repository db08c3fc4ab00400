-- Leave a room (back to the lobby).
if player_room(A.pid) ~= A.code then return fail(409, 'You are not in this room.') end
leave_room(A.pid, A.code)
return finish({ok = true})
