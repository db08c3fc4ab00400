-- Leave the quick-play queue (a no-op when not queued).
leave_queue(A.pid)
return finish({ok = true})
