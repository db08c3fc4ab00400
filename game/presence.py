"""Who is online: each open stream keeps its player present.

A stream registers when it opens and unregisters in its `finally`. In
between it costs Redis nothing: each process holds a lease, renewed once a
heartbeat for all its streams (`lease.lua`), and the streams of a process
whose lease runs out (killed, or stalled) are closed by the next process to
renew. With no stream left a player is "reconnecting" for a grace period;
when it runs out, `sweep.lua` takes them out of the queue and `room_sweep.lua`
out of a room that is not mid-match. The sweep is scheduled by the process
that saw the stream close. The player's room keeps its own copy of their
presence (`room_presence.lua`, game/moves.py), told when they come and go.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable

from game.config import Settings
from game.store import Store

log = logging.getLogger(__name__)

LEASE_HEARTBEATS = 3  # a process's streams count as open this long after its last renewal


class Presence:
    def __init__(self, store: Store, settings: Settings, rooms: Callable[[], Iterable[str]] = tuple) -> None:
        self.store = store
        self.settings = settings
        self.proc = secrets.token_urlsafe(8)  # this process, as its lease names it
        self._rooms = rooms  # the rooms this process's streams show (kept from expiring)
        self._open: dict[str, tuple[str, str]] = {}  # stream id -> (player id, address tag), held here
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def lease_ms(self) -> int:
        return int(self.settings.heartbeat_s * 1000 * LEASE_HEARTBEATS)

    async def connect(self, pid: str, stream: str, addr: str) -> None:
        """A stream opened, from the network `addr` (a keyed hash, see game/web/limits.py)."""
        self._open[stream] = (pid, addr)
        await self.store.run("connect", pid=pid, stream=stream, proc=self.proc, addr=addr, lease_ms=self.lease_ms)

    async def disconnect(self, pid: str, stream: str) -> None:
        self._open.pop(stream, None)
        await self.store.run("disconnect", pid=pid, stream=stream, proc=self.proc)
        self._sweep_later(pid)

    async def start(self) -> None:
        """Take the lease (before this process opens any stream), then renew it once a heartbeat."""
        await self.renew()
        self._track(asyncio.create_task(self._keep_lease()))

    async def renew(self) -> None:
        """Renew this process's lease, and close the streams of processes that are gone."""
        result = await self.store.run("lease", proc=self.proc, lease_ms=self.lease_ms, rooms=list(self._rooms()))
        if not result["renewed"]:
            # Our lease had run out (this process stalled) and our streams were
            # closed in Redis: they are open, so register them again.
            for stream, (pid, addr) in list(self._open.items()):
                await self.connect(pid, stream, addr)
        for pid in result["gone"] or ():  # an empty Lua list may arrive as {}
            self._sweep_later(pid)

    async def _keep_lease(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_s)
            try:
                await self.renew()
            except Exception:
                log.exception("presence lease renewal failed; retrying next heartbeat")

    def _sweep_later(self, pid: str) -> None:
        """Once the grace period is over, a player with no stream back leaves (sweep.lua)."""

        async def sweep() -> None:
            await self.store.run("sweep", pid=pid)

        self._later(self.settings.reconnect_grace_ms / 1000 + 0.05, sweep)

    def _later(self, delay: float, action: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        async def run() -> None:
            await asyncio.sleep(delay)
            try:
                await action()
            except Exception:
                log.exception("presence follow-up failed")

        return self._track(asyncio.create_task(run()))

    def _track(self, task: asyncio.Task[None]) -> asyncio.Task[None]:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def cancel_all(self) -> None:
        for task in self._tasks:
            task.cancel()
