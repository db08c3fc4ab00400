-- A member picked a new name: the room shows it.
local m = member(A.pid)
if not m then return finish({seated = false}) end
m.name = A.name
set_member(A.pid, m)
room_changed()
return finish({seated = true})
