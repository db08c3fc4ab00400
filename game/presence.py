"""Who is online: each open stream keeps its player present.

A stream registers on open and on every heartbeat, and unregisters in its
`finally`. With no stream left a player is "reconnecting" for a grace period;
when it runs out, `sweep.lua` takes them out of the queue and of a room that
is not mid-match. The sweep is scheduled by the process that saw the stream close.
"""

from __future__ import annotations

import asyncio
import logging

from game.store import Store

log = logging.getLogger(__name__)

ALIVE_HEARTBEATS = 3  # a stream counts as open for this many heartbeats


class Presence:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._sweeps: set[asyncio.Task[None]] = set()

    @property
    def alive_ms(self) -> int:
        return int(self.store.settings.heartbeat_s * 1000 * ALIVE_HEARTBEATS)

    async def connect(self, pid: str, conn: str) -> None:
        """A stream opened, or is still open (heartbeat)."""
        await self.store.run("connect", pid=pid, conn=conn, alive_ms=self.alive_ms)

    async def disconnect(self, pid: str, conn: str) -> None:
        grace = self.store.settings.reconnect_grace_ms
        await self.store.run("disconnect", pid=pid, conn=conn, grace_ms=grace)
        task = asyncio.create_task(self._sweep_later(pid, grace / 1000 + 0.05))
        self._sweeps.add(task)
        task.add_done_callback(self._sweeps.discard)

    async def _sweep_later(self, pid: str, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self.store.run("sweep", pid=pid)
        except Exception:
            log.exception("presence sweep for %s failed", pid)

    def cancel_all(self) -> None:
        for task in self._sweeps:
            task.cancel()
