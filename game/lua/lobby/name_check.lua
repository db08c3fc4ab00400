-- Read only: would set_name.lua accept this name now? (validation as you type)
if name_taken(A.keys, A.pid) then return fail(409, NAME_TAKEN) end
return finish({ok = true})
