"""Who is online: each open stream keeps its player present.

A stream registers on open and on every heartbeat, and unregisters in its
`finally`. With no stream left a player is "reconnecting" for a grace period;
when it runs out, `sweep.lua` takes them out of the queue and of a room that
is not mid-match. The sweep is scheduled by the process that saw the stream close.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from game.store import Store

log = logging.getLogger(__name__)

ALIVE_HEARTBEATS = 3  # a stream counts as open for this many heartbeats


class Presence:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._tasks: set[asyncio.Task[None]] = set()
        self._lobby_catch_up: asyncio.Task[None] | None = None

    @property
    def alive_ms(self) -> int:
        return int(self.store.settings.heartbeat_s * 1000 * ALIVE_HEARTBEATS)

    async def connect(self, pid: str, conn: str) -> None:
        """A stream opened, or is still open (heartbeat)."""
        await self._run("connect", pid=pid, conn=conn, alive_ms=self.alive_ms)

    async def disconnect(self, pid: str, conn: str) -> None:
        grace = self.store.settings.reconnect_grace_ms
        await self._run("disconnect", pid=pid, conn=conn, grace_ms=grace)
        self._later(grace / 1000 + 0.05, lambda: self._sweep(pid))

    async def _run(self, script: str, **args: str | int) -> None:
        result = await self.store.run(script, **args)
        if result.get("lobby_later") and self._lobby_catch_up is None:
            # The lobby was woken for presence a moment ago: wake it once more
            # when that window ends, so its online count ends up right.
            self._lobby_catch_up = self._later(self.store.settings.lobby_presence_ms / 1000, self._wake_lobby)

    async def _sweep(self, pid: str) -> None:
        await self._run("sweep", pid=pid)

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

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def cancel_all(self) -> None:
        for task in self._tasks:
            task.cancel()
