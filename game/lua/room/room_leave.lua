-- Leave this room (back to the lobby).
if not member(A.pid) then return fail(409, 'You are not in this room.') end
leave_room(A.pid)
return finish({ok = true})
