"""Who is online: each open stream keeps its player present.

A stream registers when it opens and unregisters in its `finally`. In
between it costs Redis nothing: each process holds a lease, renewed once a
heartbeat for all its streams (`lease.lua`), and the streams of a process
whose lease runs out (killed, or stalled) are closed by the next process to
renew. With no stream left a player is "reconnecting" for a grace period;
when it runs out, `sweep.lua` takes them out of the queue and of a room that
is not mid-match. The sweep is scheduled by the process that saw the stream close.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

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
        self._open: dict[str, str] = {}  # stream id -> player id, the streams held here
        self._tasks: set[asyncio.Task[None]] = set()
        self._lobby_catch_up: asyncio.Task[None] | None = None

    async def connect(self, pid: str, stream: str) -> None:
        """A stream opened."""
        self._open[stream] = pid
        await self._run("connect", pid=pid, stream=stream, proc=self.proc)

    async def disconnect(self, pid: str, stream: str) -> None:
        self._open.pop(stream, None)
        await self._run("disconnect", pid=pid, stream=stream, proc=self.proc)
        self._sweep_later(pid)

    async def start(self) -> None:
        """Take the lease (before this process opens any stream), then renew it once a heartbeat."""
        await self.renew()
        self._track(asyncio.create_task(self._keep_lease()))

    async def renew(self) -> None:
        """Renew this process's lease, and close the streams of processes that are gone."""
        lease_ms = int(self.settings.heartbeat_s * 1000 * LEASE_HEARTBEATS)
        result = await self._run("lease", proc=self.proc, lease_ms=lease_ms, rooms=list(self._rooms()))
        if not result["renewed"]:
            # Our lease had run out (this process stalled) and our streams were
            # closed in Redis: they are open, so register them again.
            for stream, pid in list(self._open.items()):
                await self.connect(pid, stream)
        for pid in result["gone"] or ():  # an empty Lua list may arrive as {}
            self._sweep_later(pid)

    async def _keep_lease(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_s)
            try:
                await self.renew()
            except Exception:
                log.exception("presence lease renewal failed; retrying next heartbeat")

    async def _run(self, script: str, **args: Any) -> dict[str, Any]:
        result = await self.store.run(script, **args)
        if result.get("lobby_later") and self._lobby_catch_up is None:
            # The lobby was woken for presence a moment ago: wake it once more
            # when that window ends, so its online count ends up right.
            self._lobby_catch_up = self._later(self.settings.lobby_presence_ms / 1000, self._wake_lobby)
        return result

    def _sweep_later(self, pid: str) -> None:
        """Once the grace period is over, a player with no stream back leaves (sweep.lua)."""

        async def sweep() -> None:
            await self._run("sweep", pid=pid)

        self._later(self.settings.reconnect_grace_ms / 1000 + 0.05, sweep)

    async def _wake_lobby(self) -> None:
        self._lobby_catch_up = None
        await self.store.redis.publish(self.store.keys.lobby_channel(), "presence")

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
